import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, randomSlug } from '../support/harness.js';
import { addUser, asPlatform, asTenant, createStudent, expectProblem, studentInput } from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const countStudents = (t: { id: string }) => asTenant(h, t, (tx) => tx.student.count({ where: { tenantId: t.id } }));

describe('platform and tenant tokens stay on their own routes', () => {
  it('when a platform token calls tenant routes, then 403 forbidden', async () => {
    const t = await h.createTenant();
    const s = await createStudent(h, t.token);
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/students'],
      ['POST', '/api/v1/students', studentInput()],
      ['GET', `/api/v1/students/${s.id}`],
      ['DELETE', `/api/v1/students/${s.id}`],
      ['GET', '/api/v1/users'],
    ];
    for (const [method, path, body] of calls) {
      await expectProblem(await h.request(method, path, { token: h.platformToken, body }), 403, 'forbidden');
    }
    expect(await countStudents(t)).toBe(1);
  });

  it('when a tenant admin token calls platform routes, then 403 forbidden and nothing is created', async () => {
    const t = await h.createTenant();
    const slug = randomSlug();
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/tenants'],
      ['GET', `/api/v1/tenants/${t.id}`],
      ['POST', `/api/v1/tenants/${t.id}/suspend`],
      ['DELETE', `/api/v1/tenants/${t.id}`],
      ['GET', '/api/v1/events'],
      [
        'POST',
        '/api/v1/tenants',
        { name: 'X', slug, admin: { email: 'x@x.test', password: 'long-enough-pw', name: 'X' } },
      ],
    ];
    for (const [method, path, body] of calls) {
      await expectProblem(await h.request(method, path, { token: t.token, body }), 403, 'forbidden');
    }
    const tenants = await asPlatform(h, (tx) => tx.tenant.findMany({ where: { OR: [{ slug }, { id: t.id }] } }));
    expect(tenants.map((x) => [x.id, x.status])).toEqual([[t.id, 'active']]);
  });
});

describe('tenant roles', () => {
  it('when a viewer reads students, then 200; when it writes, then 403 and nothing changes', async () => {
    const t = await h.createTenant();
    const viewer = await addUser(h, t, 'viewer');
    const s = await createStudent(h, t.token);
    expect((await h.request('GET', '/api/v1/students', { token: viewer.token })).status).toBe(200);
    expect((await h.request('GET', `/api/v1/students/${s.id}`, { token: viewer.token })).status).toBe(200);

    const writes: [string, string, unknown?][] = [
      ['POST', '/api/v1/students', studentInput()],
      ['POST', '/api/v1/students/bulk', { students: [studentInput()] }],
      ['PATCH', `/api/v1/students/${s.id}`, { firstName: 'Changed' }],
      ['DELETE', `/api/v1/students/${s.id}`],
      ['POST', '/api/v1/users', { email: 'v@x.test', name: 'V', password: 'long-enough-pw', role: 'tenant_admin' }],
    ];
    for (const [method, path, body] of writes) {
      await expectProblem(await h.request(method, path, { token: viewer.token, body }), 403, 'forbidden');
    }
    const rows = await asTenant(h, t, (tx) => tx.student.findMany({ where: { tenantId: t.id } }));
    expect(rows.map((r) => [r.id, r.firstName])).toEqual([[s.id, s.firstName]]);
    expect(await asTenant(h, t, (tx) => tx.user.count({ where: { tenantId: t.id } }))).toBe(2);
  });

  it('when staff write students, then create, patch and delete succeed, but adding users is 403', async () => {
    const t = await h.createTenant();
    const staff = await addUser(h, t, 'staff');
    const created = await h.request('POST', '/api/v1/students', { token: staff.token, body: studentInput() });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const patched = await h.request('PATCH', `/api/v1/students/${id}`, {
      token: staff.token,
      body: { lastName: 'New' },
    });
    expect(patched.status).toBe(200);
    expect((await h.request('DELETE', `/api/v1/students/${id}`, { token: staff.token })).status).toBe(204);
    expect(await countStudents(t)).toBe(0);
    const addUserRes = await h.request('POST', '/api/v1/users', {
      token: staff.token,
      body: { email: 's2@x.test', name: 'S', password: 'long-enough-pw', role: 'staff' },
    });
    await expectProblem(addUserRes, 403, 'forbidden');
  });
});

describe('tenant headers must name the token’s tenant', () => {
  it('when X-Tenant-Id names another tenant, then 403 tenant_mismatch and no write happens', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const other = { 'x-tenant-id': b.id };
    await expectProblem(
      await h.request('GET', '/api/v1/students', { token: a.token, headers: other }),
      403,
      'tenant_mismatch',
    );
    const post = await h.request('POST', '/api/v1/students', { token: a.token, headers: other, body: studentInput() });
    await expectProblem(post, 403, 'tenant_mismatch');
    expect(await countStudents(a)).toBe(0);
    expect(await countStudents(b)).toBe(0);
  });

  it('when X-Tenant-Slug names another or no tenant, then 403 tenant_mismatch', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    for (const slug of [b.slug, randomSlug('ghost')]) {
      const res = await h.request('GET', '/api/v1/students', { token: a.token, headers: { 'x-tenant-slug': slug } });
      await expectProblem(res, 403, 'tenant_mismatch');
    }
  });

  it('when X-Tenant-Id is not a uuid, then it is refused, never ignored', async () => {
    const a = await h.createTenant();
    const res = await h.request('GET', '/api/v1/students', {
      token: a.token,
      headers: { 'x-tenant-id': 'not-a-uuid' },
    });
    await expectProblem(res, 403, 'tenant_mismatch');
  });

  it('when the headers name the token’s own tenant, then 200', async () => {
    const a = await h.createTenant();
    await createStudent(h, a.token);
    const variants: Record<string, string>[] = [
      { 'x-tenant-id': a.id },
      { 'x-tenant-id': a.id.toUpperCase() },
      { 'x-tenant-slug': a.slug },
      { 'x-tenant-id': a.id, 'x-tenant-slug': a.slug },
    ];
    for (const headers of variants) {
      const res = await h.request('GET', '/api/v1/students', { token: a.token, headers });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
    }
  });
});
