import { createHash, randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { type AttackServer, startAttackServer } from './attack-server.js';
import { createHarness, type Harness, type TestTenant } from './harness.js';
import { asTenant, type StudentBody, studentInput } from './http-fixtures.js';

export interface World {
  tenant: TestTenant;
  student: StudentBody;
  course: { id: string; code: string };
  /** The student enrolled in the course. */
  enrollment: { courseId: string; studentId: string };
  staff: { id: string; email: string; password: string; token: string };
}

async function created<T>(res: Response, what: string): Promise<T> {
  if (res.status !== 201) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Signs in through the public login route, as a client would. */
export async function login(srv: AttackServer, slug: string, email: string, password: string): Promise<string> {
  const res = await srv.call('POST', '/api/v1/auth/login', { body: { tenant: slug, email, password } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export async function addStaff(srv: AttackServer, tenant: TestTenant, role: 'staff' | 'viewer' = 'staff') {
  const body = {
    email: `${role}-${randomBytes(4).toString('hex')}@${tenant.slug}.test`,
    name: `A ${role}`,
    password: 'staff-password-12',
    role,
  };
  const user = await created<{ id: string }>(
    await srv.call('POST', '/api/v1/users', { token: tenant.token, body }),
    'add user',
  );
  return {
    id: user.id,
    email: body.email,
    password: body.password,
    token: await login(srv, tenant.slug, body.email, body.password),
  };
}

/** A fresh tenant holding one resource of every kind, all created over HTTP. */
export async function seedWorld(h: Harness, srv: AttackServer): Promise<World> {
  const tenant = await h.createTenant({ plan: 'enterprise' });
  const token = tenant.token;
  const student = await created<StudentBody>(
    await srv.call('POST', '/api/v1/students', { token, body: studentInput({ email: `s-${tenant.slug}@x.test` }) }),
    'student',
  );
  const code = `C-${randomBytes(4).toString('hex')}`;
  const course = await created<{ id: string; code: string }>(
    await srv.call('POST', '/api/v1/courses', { token, body: { code, title: 'Algebra', capacity: 30 } }),
    'course',
  );
  await created(
    await srv.call('POST', `/api/v1/courses/${course.id}/enrollments`, { token, body: { studentId: student.id } }),
    'enrollment',
  );
  const staff = await addStaff(srv, tenant);
  return { tenant, student, course, enrollment: { courseId: course.id, studentId: student.id }, staff };
}

/** What the tenant itself sees of its seeded resources, through the API with its own token. */
export async function snapshot(srv: AttackServer, w: World): Promise<unknown> {
  const paths = [
    `/api/v1/students/${w.student.id}`,
    `/api/v1/courses/${w.course.id}`,
    `/api/v1/courses/${w.course.id}/enrollments`,
    `/api/v1/users/${w.staff.id}`,
    `/api/v1/users/${w.tenant.adminId}`,
    '/api/v1/tenant',
    '/api/v1/students?limit=100',
  ];
  return Promise.all(
    paths.map(async (p) => {
      const res = await srv.call('GET', p, { token: w.tenant.token });
      return { p, status: res.status, body: await res.json() };
    }),
  );
}

/** A digest of every row the tenant owns, read as the runtime role inside its own context. */
export function tenantChecksum(h: Harness, tenantId: string): Promise<string> {
  return asTenant(h, { id: tenantId }, async (tx) => {
    const where = { tenantId };
    const orderBy = { id: 'asc' } as const;
    const rows = {
      students: await tx.student.findMany({ where, orderBy }),
      courses: await tx.course.findMany({ where, orderBy }),
      enrollments: await tx.enrollment.findMany({ where, orderBy: [{ courseId: 'asc' }, { studentId: 'asc' }] }),
      users: await tx.user.findMany({ where, orderBy }),
      settings: await tx.tenantSettings.findUnique({ where }),
      tenant: await tx.tenant.findUnique({ where: { id: tenantId } }),
    };
    return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  });
}

/** Patterns that must never reach a client: SQLSTATEs, Prisma internals, SQL, stack frames. */
export const LEAK_PATTERNS: RegExp[] = [
  /prisma/i,
  /invocation/i,
  /violates/i,
  /constraint/i,
  /SQLSTATE/i,
  /\b(23505|23503|23502|23514|22001|22003|22007|22008|22P02|42P01|42703|40001|P20\d\d)\b/,
  /\b(students|courses|enrollments|users|tenants|tenant_settings)_(tenant_id|pkey|\w+_key|\w+_fkey)\b/,
  /duplicate key/i,
  /relation "/i,
  /\bat \S+ \(.*:\d+:\d+\)/,
  /node_modules|\/src\/|\.ts:\d+/,
  /syntax error|out of range for type|invalid input syntax/i,
];

export const leaksIn = (text: string) => LEAK_PATTERNS.filter((p) => p.test(text)).map(String);

/**
 * One attack test file's setup: the harness, a listening server and `worlds` freshly seeded
 * tenants, closed after the file's tests. Called at the top of the file (top-level await).
 */
export async function openAttackWorld(worlds: number): Promise<{ h: Harness; srv: AttackServer; worlds: World[] }> {
  const h = await createHarness();
  const srv = await startAttackServer(h.app);
  afterAll(async () => {
    await srv.close();
    await h.close();
  });
  const seeded = await Promise.all(Array.from({ length: worlds }, () => seedWorld(h, srv)));
  return { h, srv, worlds: seeded };
}
