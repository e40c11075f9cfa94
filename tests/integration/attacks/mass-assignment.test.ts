import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { addStaff, openAttackWorld, tenantChecksum, type World } from '../../support/attack-fixtures.js';
import { TENANT_WRITES } from '../../support/attack-routes.js';
import { expectProblem } from '../../support/http-fixtures.js';

const { h, srv, worlds } = await openAttackWorld(2);
const [a, b] = worlds as [World, World];

const SENSITIVE = ['role', 'tenantId', 'id', 'createdAt', 'updatedAt', 'passwordHash', 'status', 'plan'] as const;
const forgedValue = (field: (typeof SENSITIVE)[number]): unknown =>
  ({
    role: 'platform_admin',
    tenantId: b.tenant.id,
    id: uuidv7(),
    createdAt: '2000-01-01T00:00:00.000Z',
    updatedAt: '2000-01-01T00:00:00.000Z',
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
    status: 'suspended',
    plan: 'enterprise',
  })[field];
// Writes whose body is one resource's fields (bulk nests them one level down).
const ROUTES = [
  'POST /students',
  'PATCH /students/{id}',
  'POST /courses',
  'PATCH /courses/{id}',
  'POST /users',
  'PATCH /users/{id}',
  'PATCH /tenant/settings',
] as const;
// Fields a route legitimately accepts (then checked below: who may set them).
const WRITABLE: Record<string, string[]> = { 'POST /users': ['role'], 'PATCH /users/{id}': ['role'] };

describe('server-owned fields in create and patch bodies', () => {
  for (const route of ROUTES) {
    for (const field of SENSITIVE) {
      if (WRITABLE[route]?.includes(field)) continue;
      it(`when ${route} carries "${field}", then 400 naming it as an unknown field and nothing is written`, async () => {
        const prepare = TENANT_WRITES[route];
        if (!prepare) throw new Error(`${route} missing from TENANT_WRITES`);
        const { path, body } = await prepare(srv, a);
        const before = [await tenantChecksum(h, a.tenant.id), await tenantChecksum(h, b.tenant.id)];
        const res = await srv.call(route.split(' ')[0] ?? '', `/api/v1${path}`, {
          token: a.tenant.token,
          body: { ...body, [field]: forgedValue(field) },
        });
        const problem = await expectProblem(res, 400, 'validation_failed');
        expect(problem.errors).toContainEqual({ path: field, message: 'unknown field' });
        expect([await tenantChecksum(h, a.tenant.id), await tenantChecksum(h, b.tenant.id)]).toEqual(before);
      });
    }
  }

  it('when a bulk create nests server-owned fields in its items, then 400 and no student is created', async () => {
    const before = await tenantChecksum(h, a.tenant.id);
    const students = [{ studentNo: 'M-1', firstName: 'a', lastName: 'b', id: uuidv7(), tenantId: b.tenant.id }];
    const res = await srv.call('POST', '/api/v1/students/bulk', { token: a.tenant.token, body: { students } });
    const problem = await expectProblem(res, 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(['students.0.id', 'students.0.tenantId']),
    );
    expect(await tenantChecksum(h, a.tenant.id)).toBe(before);
  });
});

describe('role, where it is legitimately writable', () => {
  const roleOf = async (userId: string) =>
    ((await (await srv.call('GET', `/api/v1/users/${userId}`, { token: a.tenant.token })).json()) as { role: string })
      .role;

  it('when a tenant admin creates a user with a tenant role, then it is honoured; platform_admin is 400', async () => {
    const ok = await srv.call('POST', '/api/v1/users', {
      token: a.tenant.token,
      body: { email: `r-${uuidv7()}@a.test`, name: 'R', password: 'long-password-1', role: 'staff' },
    });
    expect(ok.status).toBe(201);
    expect(await roleOf(((await ok.json()) as { id: string }).id)).toBe('staff');
    const bad = await srv.call('POST', '/api/v1/users', {
      token: a.tenant.token,
      body: { email: `p-${uuidv7()}@a.test`, name: 'P', password: 'long-password-1', role: 'platform_admin' },
    });
    expect((await expectProblem(bad, 400, 'validation_failed')).errors?.map((e) => e.path)).toContain('role');
  });

  it('when staff tries to make itself tenant_admin via PATCH /users/:id, then 403 and its role is unchanged', async () => {
    const staff = await addStaff(srv, a.tenant);
    const res = await srv.call('PATCH', `/api/v1/users/${staff.id}`, {
      token: staff.token,
      body: { role: 'tenant_admin' },
    });
    await expectProblem(res, 403, 'forbidden');
    expect(await roleOf(staff.id)).toBe('staff');
  });

  it('when staff tries to take over the admin (password, email) or create an admin, then 403 and nothing changes', async () => {
    const staff = await addStaff(srv, a.tenant);
    const before = await tenantChecksum(h, a.tenant.id);
    for (const [method, path, body] of [
      ['PATCH', `/api/v1/users/${a.tenant.adminId}`, { password: 'attacker-password-1' }],
      ['PATCH', `/api/v1/users/${a.tenant.adminId}`, { email: 'evil@evil.test' }],
      ['POST', '/api/v1/users', { email: 'x@evil.test', name: 'X', password: 'long-password-1', role: 'tenant_admin' }],
      ['PATCH', '/api/v1/tenant/settings', { timezone: 'Asia/Tokyo' }],
    ] as const) {
      await expectProblem(await srv.call(method, path, { token: staff.token, body }), 403, 'forbidden');
    }
    expect(await tenantChecksum(h, a.tenant.id)).toBe(before);
  });

  it('when a viewer writes a student with any body, then 403 and nothing is created', async () => {
    const viewer = await addStaff(srv, a.tenant, 'viewer');
    const before = await tenantChecksum(h, a.tenant.id);
    const body = { studentNo: 'V-1', firstName: 'a', lastName: 'b', role: 'tenant_admin' };
    expect((await srv.call('POST', '/api/v1/students', { token: viewer.token, body })).status).toBe(403);
    expect(await tenantChecksum(h, a.tenant.id)).toBe(before);
  });
});
