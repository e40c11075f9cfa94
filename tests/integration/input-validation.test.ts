import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { asTenant, createStudent, expectProblem, studentInput } from '../support/http-fixtures.js';

let h: Harness;
let t: TestTenant;
beforeAll(async () => {
  h = await createHarness();
  t = await h.createTenant();
});
afterAll(() => h.close());

const countStudents = (tenant: TestTenant) =>
  asTenant(h, tenant, (tx) => tx.student.count({ where: { tenantId: tenant.id } }));

const paths = (body: { errors?: { path: string }[] }) => body.errors?.map((e) => e.path) ?? [];

describe('malformed ids', () => {
  for (const id of ['not-a-uuid', '123', "1'%20OR%20'1'='1", '00000000-0000-0000-0000-00000000000g', '%00']) {
    it(`when the student id is "${decodeURIComponent(id)}", then GET, PATCH and DELETE are 400 validation_failed`, async () => {
      const path = `/api/v1/students/${id}`;
      await expectProblem(await h.request('GET', path, { token: t.token }), 400, 'validation_failed');
      const patch = await h.request('PATCH', path, { token: t.token, body: { firstName: 'X' } });
      await expectProblem(patch, 400, 'validation_failed');
      await expectProblem(await h.request('DELETE', path, { token: t.token }), 400, 'validation_failed');
    });
  }
});

describe('unknown fields are rejected, never ignored', () => {
  for (const extra of [
    { tenantId: '00000000-0000-7000-8000-000000000000' },
    { id: crypto.randomUUID() },
    { role: 'x' },
  ]) {
    const field = Object.keys(extra)[0];
    it(`when a create body carries "${field}", then 400 naming it and no row`, async () => {
      const tenant = await h.createTenant();
      const res = await h.request('POST', '/api/v1/students', {
        token: tenant.token,
        body: { ...studentInput(), ...extra },
      });
      expect(paths(await expectProblem(res, 400, 'validation_failed'))).toContain(field);
      expect(await countStudents(tenant)).toBe(0);
    });
  }

  it('when a patch body carries tenantId, then 400 naming it and the row is unchanged', async () => {
    const s = await createStudent(h, t.token);
    const other = await h.createTenant();
    const res = await h.request('PATCH', `/api/v1/students/${s.id}`, {
      token: t.token,
      body: { firstName: 'Moved', tenantId: other.id },
    });
    expect(paths(await expectProblem(res, 400, 'validation_failed'))).toContain('tenantId');
    expect(
      (await h.request('GET', `/api/v1/students/${s.id}`, { token: t.token }).then((r) => r.json())) as object,
    ).toEqual(s);
  });

  it('when a nested tenant create body carries an unknown admin field, then 400 naming its path', async () => {
    const res = await h.request('POST', '/api/v1/tenants', {
      token: h.platformToken,
      body: {
        name: 'X',
        slug: 'x-unknown-field',
        admin: { email: 'a@x.test', password: 'long-enough-pw', name: 'A', role: 'platform_admin' },
      },
    });
    expect(paths(await expectProblem(res, 400, 'validation_failed'))).toContain('admin.role');
  });

  for (const qs of [`tenantId=${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`, 'tenant_id=x', 'foo=bar']) {
    it(`when the query string carries "${qs.split('=')[0]}", then 400`, async () => {
      const res = await h.request('GET', `/api/v1/students?${qs}`, { token: t.token });
      expect(paths(await expectProblem(res, 400, 'validation_failed'))).toContain(qs.split('=')[0]);
    });
  }
});

describe('wrong types and values', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    ['a number as firstName', { firstName: 123 }, 'firstName'],
    ['null as studentNo', { studentNo: null }, 'studentNo'],
    ['a string as active', { active: 'yes' }, 'active'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['an impossible date', { dateOfBirth: '2010-02-30' }, 'dateOfBirth'],
    ['a date with a time', { dateOfBirth: '2010-02-01T00:00:00Z' }, 'dateOfBirth'],
    ['a blank lastName', { lastName: '   ' }, 'lastName'],
    ['an over-long studentNo', { studentNo: 'x'.repeat(65) }, 'studentNo'],
    ['an object as firstName', { firstName: { $ne: null } }, 'firstName'],
    ['a NUL character in firstName', { firstName: 'Ada\u0000' }, 'firstName'],
  ];
  for (const [what, over, path] of bad) {
    it(`when a student is created with ${what}, then 400 naming ${path} and no row`, async () => {
      const tenant = await h.createTenant();
      const res = await h.request('POST', '/api/v1/students', { token: tenant.token, body: studentInput(over) });
      expect(paths(await expectProblem(res, 400, 'validation_failed'))).toContain(path);
      expect(await countStudents(tenant)).toBe(0);
    });
  }

  it('when a patch carries a NUL character, then 400 and the row is unchanged', async () => {
    const s = await createStudent(h, t.token);
    const res = await h.request('PATCH', `/api/v1/students/${s.id}`, {
      token: t.token,
      body: { lastName: 'x\u0000y' },
    });
    expect(paths(await expectProblem(res, 400, 'validation_failed'))).toContain('lastName');
    expect(await h.request('GET', `/api/v1/students/${s.id}`, { token: t.token }).then((r) => r.json())).toEqual(s);
  });

  it('when q carries a NUL character, then 400', async () => {
    const res = await h.request('GET', '/api/v1/students?q=a%00b', { token: t.token });
    expect(paths(await expectProblem(res, 400, 'validation_failed'))).toContain('q');
  });

  for (const body of ['{"studentNo": "S-1", ', '{studentNo: 1}', 'null', '[]', '"a string"', '']) {
    it(`when the JSON body is ${JSON.stringify(body)}, then 400 and no row`, async () => {
      const tenant = await h.createTenant();
      const res = await h.request('POST', '/api/v1/students', {
        token: tenant.token,
        body,
        headers: { 'content-type': 'application/json' },
      });
      await expectProblem(res, 400, 'validation_failed');
      expect(await countStudents(tenant)).toBe(0);
    });
  }
});
