import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { addUser, asTenant, createStudent } from '../support/http-fixtures.js';

/**
 * The role × route matrix, generated from the served OpenAPI document: every operation must
 * declare who may call it (`x-roles`, with a matching `security`), and each kind of caller
 * gets what the declaration says. A route added without a rule, or with a rule the middleware
 * does not enforce, fails here.
 */

interface Operation {
  method: string;
  path: string;
  roles: string[] | undefined;
  security: unknown[] | undefined;
}

const CALLERS = ['anonymous', 'platform_admin', 'tenant_admin', 'staff', 'viewer'] as const;
type Caller = (typeof CALLERS)[number];
const KNOWN_ROLES = new Set<string>(CALLERS);

let h: Harness;
let a: TestTenant;
let b: TestTenant;
let ops: Operation[];
const tokens = {} as Record<Caller, string | undefined>;
let ids: { student: string; course: string; enrolled: string };

beforeAll(async () => {
  h = await createHarness();
  a = await h.createTenant({ plan: 'premium' });
  b = await h.createTenant({ plan: 'premium' });
  tokens.anonymous = undefined;
  tokens.platform_admin = h.platformToken;
  tokens.tenant_admin = a.token;
  tokens.staff = (await addUser(h, a, 'staff')).token;
  tokens.viewer = (await addUser(h, a, 'viewer')).token;
  const student = await createStudent(h, a.token);
  const enrolled = await createStudent(h, a.token);
  const course = (await (
    await h.request('POST', '/api/v1/courses', { token: a.token, body: { code: 'M-1', title: 'Matrix' } })
  ).json()) as { id: string };
  const enroll = await h.request('POST', `/api/v1/courses/${course.id}/enrollments`, {
    token: a.token,
    body: { studentId: enrolled.id },
  });
  expect(enroll.status).toBe(201);
  ids = { student: student.id, course: course.id, enrolled: enrolled.id };

  const doc = (await (await h.request('GET', '/openapi.json')).json()) as {
    paths: Record<string, Record<string, { 'x-roles'?: string[]; security?: unknown[] }>>;
  };
  ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      roles: op['x-roles'],
      security: op.security,
    })),
  );
});
afterAll(() => h.close());

/** A path with every parameter a fresh random id: nothing real is touched. */
const randomPath = (path: string) => path.replace(/\{[^}]+\}/g, () => randomUUID());

/** A path whose parameters name tenant A's real resources. */
function pathOfA(path: string): string {
  return path
    .replace('/students/{id}', `/students/${ids.student}`)
    .replace('/courses/{id}/enrollments/{studentId}', `/courses/${ids.course}/enrollments/${ids.enrolled}`)
    .replace('/courses/{id}', `/courses/${ids.course}`)
    .replace('/users/{id}', `/users/${a.adminId}`)
    .replace('/tenants/{id}', `/tenants/${a.id}`);
}

/** What the declaration promises a caller: 401 without a token, 403 outside the roles, else neither. */
function expected(op: Operation, caller: Caller): 'allowed' | 401 | 403 {
  const roles = op.roles ?? [];
  if (roles.includes('anonymous')) return 'allowed';
  if (caller === 'anonymous') return 401;
  return roles.includes(caller) ? 'allowed' : 403;
}

const checksumOfA = () =>
  asTenant(h, a, async (tx) => ({
    students: await tx.student.findMany({ where: { tenantId: a.id }, orderBy: { id: 'asc' } }),
    courses: await tx.course.findMany({ where: { tenantId: a.id }, orderBy: { id: 'asc' } }),
    enrollments: await tx.enrollment.count({ where: { tenantId: a.id } }),
    users: await tx.user.findMany({ where: { tenantId: a.id }, orderBy: { id: 'asc' } }),
  }));

describe('the role × route matrix from /openapi.json', () => {
  it('when the document is served, then every operation declares its roles and a matching security', () => {
    expect(ops.length).toBeGreaterThan(30);
    const undeclared = ops.filter((op) => !Array.isArray(op.roles) || op.roles.length === 0);
    expect(undeclared.map((op) => `${op.method} ${op.path}`)).toEqual([]);
    for (const op of ops) {
      expect(
        op.roles!.every((r) => KNOWN_ROLES.has(r)),
        `${op.method} ${op.path}: ${op.roles}`,
      ).toBe(true);
      // Tenant tokens are bearerAuth, platform admins' platformAuth; public routes need neither.
      const expected = [
        ...(op.roles!.some((r) => r !== 'anonymous' && r !== 'platform_admin') ? [{ bearerAuth: [] }] : []),
        ...(op.roles!.includes('platform_admin') ? [{ platformAuth: [] }] : []),
      ];
      expect(op.security, `${op.method} ${op.path}`).toEqual(expected);
    }
  });

  for (const caller of CALLERS) {
    it(`when ${caller === 'anonymous' ? 'an anonymous caller' : `a ${caller}`} calls every operation, then each answers as its x-roles say`, async () => {
      const mismatches: string[] = [];
      for (const op of ops) {
        const res = await h.request(op.method, randomPath(op.path), { token: tokens[caller] });
        await res.arrayBuffer();
        const want = expected(op, caller);
        const ok = want === 'allowed' ? res.status !== 401 && res.status !== 403 : res.status === want;
        if (!ok) mismatches.push(`${op.method} ${op.path}: ${res.status}, expected ${want}`);
      }
      expect(mismatches).toEqual([]);
    });
  }

  it("when another tenant's admin names tenant A's resources on every operation, then never 401, 2xx or A's data: 404 for tenant routes, 403 for platform ones", async () => {
    const before = await checksumOfA();
    const mismatches: string[] = [];
    for (const op of ops.filter((o) => o.path.includes('{'))) {
      const res = await h.request(op.method, pathOfA(op.path), { token: b.token });
      const text = await res.text();
      const want = expected(op, 'tenant_admin');
      if (text.includes(a.id) || text.includes(ids.student) || text.includes(ids.course)) {
        mismatches.push(`${op.method} ${op.path}: the answer names tenant A's data`);
      }
      if (want === 403 && res.status !== 403) mismatches.push(`${op.method} ${op.path}: ${res.status}, expected 403`);
      // Reads and deletes take no body, so they reach the handler: another tenant's id is a 404.
      if (want === 'allowed' && ['GET', 'DELETE'].includes(op.method) && res.status !== 404) {
        mismatches.push(`${op.method} ${op.path}: ${res.status}, expected 404`);
      }
      if (want === 'allowed' && res.status < 300) mismatches.push(`${op.method} ${op.path}: ${res.status}`);
    }
    expect(mismatches).toEqual([]);
    expect(await checksumOfA()).toEqual(before);
  });
});
