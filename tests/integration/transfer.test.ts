import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { addUser, createStudent, deleteAndPurge, expectProblem, readJson } from '../support/http-fixtures.js';
import {
  exportText,
  importText,
  linesOf,
  populatedTenant,
  splitTrailer,
  withoutExportAudits,
} from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('tenant export and import', () => {
  it('when a tenant is exported with credentials, deleted and imported, then a second export is byte-identical and its users log in again', async () => {
    const { tenant, staff, student } = await populatedTenant(h);
    const before = await exportText(h, tenant, { credentials: true });

    const lines = linesOf(before);
    expect(lines[0]).toMatchObject({
      type: 'tenantry-export',
      version: 2,
      tenant: { id: tenant.id, slug: tenant.slug },
    });
    const { lines: hashed, trailer } = splitTrailer(before);
    const rowsOf = (t: string) => lines.filter((l) => l.table === t).length;
    expect(trailer.counts).toEqual(Object.fromEntries(Object.keys(trailer.counts).map((t) => [t, rowsOf(t)])));
    expect(Object.keys(trailer.counts)).toHaveLength(7);
    expect(trailer.sha256).toBe(
      createHash('sha256')
        .update(`${hashed.join('\n')}\n`)
        .digest('hex'),
    );
    const tables = new Set(lines.slice(1, -1).map((l) => l.table));
    expect([...tables]).toEqual([
      'tenant_settings',
      'users',
      'students',
      'courses',
      'enrollments',
      'domain_events',
      'audit_log',
    ]);
    const users = lines.filter((l) => l.table === 'users');
    expect(users.every((u) => typeof u.row?.passwordHash === 'string')).toBe(true);

    await deleteAndPurge(h, tenant.id);
    expect((await h.request('GET', `/api/v1/tenants/${tenant.id}`, { token: h.platformToken })).status).toBe(404);

    const imported = await importText(h, before);
    expect(imported.status).toBe(201);
    const body = await readJson<{ tenant: { id: string; slug: string }; counts: Record<string, number> }>(imported);
    expect(body.tenant).toMatchObject({ id: tenant.id, slug: tenant.slug, plan: 'premium' });
    expect(body.counts).toMatchObject({ tenant_settings: 1, users: 2, students: 3, courses: 2, enrollments: 1 });
    expect(body).toMatchObject({ mode: 'restore', sha256: trailer.sha256 });
    expect(body.counts.domain_events).toBeGreaterThanOrEqual(1);
    expect(body.counts.audit_log).toBeGreaterThanOrEqual(1);

    expect(await exportText(h, tenant, { credentials: true })).toBe(before);

    for (const who of [
      { email: tenant.adminEmail, password: tenant.adminPassword },
      { email: staff.email, password: staff.password },
    ]) {
      const login = await h.request('POST', '/api/v1/auth/login', { body: { tenant: tenant.slug, ...who } });
      expect(login.status).toBe(200);
    }
    const got = await h.request('GET', `/api/v1/students/${student.id}`, { token: tenant.token });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: student.id, email: 'ada@school.test', dateOfBirth: '2010-12-10' });
  });

  it('when another tenant asks for an imported tenant’s rows, then it sees none of them', async () => {
    const { tenant, student, course } = await populatedTenant(h);
    const text = await exportText(h, tenant);
    await deleteAndPurge(h, tenant.id);
    expect((await importText(h, text)).status).toBe(201);

    const other = await h.createTenant();
    expect((await h.request('GET', `/api/v1/students/${student.id}`, { token: other.token })).status).toBe(404);
    expect((await h.request('GET', `/api/v1/courses/${course.id}`, { token: other.token })).status).toBe(404);
    const list = await readJson<{ data: unknown[] }>(
      await h.request('GET', '/api/v1/students', { token: other.token }),
    );
    expect(list.data).toEqual([]);
    const own = await readJson<{ data: unknown[] }>(
      await h.request('GET', '/api/v1/students', { token: tenant.token }),
    );
    expect(own.data).toHaveLength(3);
  });

  it('when rows are added while an export streams, then the export shows the tenant as it was when it began', async () => {
    const { tenant } = await populatedTenant(h, { students: 1500 });
    const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/export`, { token: h.platformToken });
    expect(res.status).toBe(200); // the first batches are out; the rest waits for the reader
    const late = await createStudent(h, tenant.token);
    const text = await res.text();
    expect(text).not.toContain(late.id);
    expect(linesOf(text).filter((l) => l.table === 'students')).toHaveLength(1501);
  });

  it('when the tenant’s own admin exports, then it gets the same rows as the platform admin, and the export is audited', async () => {
    const { tenant } = await populatedTenant(h);
    const own = await exportText(h, tenant, { token: tenant.token });
    const platform = await exportText(h, tenant);
    expect(withoutExportAudits(own)).toBe(withoutExportAudits(platform));
    const audit = linesOf(platform).filter((l) => l.table === 'audit_log' && l.row?.action === 'tenant.exported');
    expect(audit.map((l) => l.row)).toEqual([
      expect.objectContaining({ actorId: tenant.adminId, data: { credentials: false } }),
    ]);
  });

  it('when exported without the credentials option, by a tenant admin or a platform admin, then no password hash is in it; imported, its users cannot log in until a password is set', async () => {
    const { tenant, staff } = await populatedTenant(h);
    const own = await exportText(h, tenant, { token: tenant.token });
    const platform = await exportText(h, tenant);
    for (const text of [own, platform]) {
      expect(text).not.toMatch(/passwordHash|\$argon2/);
      expect(linesOf(text).filter((l) => l.table === 'users')).toHaveLength(2);
    }
    await deleteAndPurge(h, tenant.id);
    expect((await importText(h, platform)).status).toBe(201);
    const login = (password: string) =>
      h.request('POST', '/api/v1/auth/login', { body: { tenant: tenant.slug, email: staff.email, password } });
    await expectProblem(await login(staff.password), 401, 'unauthorized');
    const reset = await h.request('PATCH', `/api/v1/users/${staff.id}`, {
      token: tenant.token,
      body: { password: 'a-brand-new-password' },
    });
    expect(reset.status).toBe(200);
    expect((await login('a-brand-new-password')).status).toBe(200);
  });

  it('when a tenant admin asks for credentials, then 403 and nothing is exported', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/export?includeCredentials=true`, {
      token: tenant.token,
    });
    await expectProblem(res, 403, 'forbidden');
  });

  it('when an export names another tenant in X-Tenant-Id, then 403 tenant_mismatch; over the rate limit, then 429', async () => {
    const tenant = await h.createTenant();
    const other = await h.createTenant();
    const mismatch = await h.request('GET', `/api/v1/tenants/${tenant.id}/export`, {
      token: tenant.token,
      headers: { 'x-tenant-id': other.id },
    });
    await expectProblem(mismatch, 403, 'tenant_mismatch');
    const limited = await h.request('PATCH', `/api/v1/tenants/${tenant.id}`, {
      token: h.platformToken,
      body: { limits: { requestsPerMinute: 1 } },
    });
    expect(limited.status).toBe(200);
    const first = await h.request('GET', `/api/v1/tenants/${tenant.id}/export`, { token: tenant.token });
    expect(first.status).toBe(200);
    await first.text();
    const over = await h.request('GET', `/api/v1/tenants/${tenant.id}/export`, { token: tenant.token });
    await expectProblem(over, 429, 'rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('when another tenant’s admin exports a tenant, then 404 exactly as for a tenant that does not exist', async () => {
    const victim = await h.createTenant();
    const other = await h.createTenant();
    const res = await h.request('GET', `/api/v1/tenants/${victim.id}/export`, { token: other.token });
    const missing = await h.request('GET', `/api/v1/tenants/${crypto.randomUUID()}/export`, { token: other.token });
    const a = await expectProblem(res, 404, 'not_found');
    const b = await expectProblem(missing, 404, 'not_found');
    expect(a.detail).toBe(b.detail);
  });

  it('when staff or a viewer exports their own tenant, then 403', async () => {
    const tenant = await h.createTenant();
    for (const role of ['staff', 'viewer'] as const) {
      const user = await addUser(h, tenant, role);
      const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/export`, { token: user.token });
      await expectProblem(res, 403, 'forbidden');
    }
  });

  it('when the platform admin exports a tenant that does not exist, then 404', async () => {
    const res = await h.request('GET', `/api/v1/tenants/${crypto.randomUUID()}/export`, { token: h.platformToken });
    await expectProblem(res, 404, 'not_found');
  });

  it('when a suspended tenant’s admin exports it, then 403 tenant_suspended; the platform admin still can', async () => {
    const tenant = await h.createTenant();
    await h.request('POST', `/api/v1/tenants/${tenant.id}/suspend`, { token: h.platformToken });
    await expectProblem(
      await h.request('GET', `/api/v1/tenants/${tenant.id}/export`, { token: tenant.token }),
      403,
      'tenant_suspended',
    );
    expect(linesOf(await exportText(h, tenant))[0]).toMatchObject({ tenant: { status: 'suspended' } });
  });
});
