import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { attempt, createStudentViaApi, readableTenantTables, runtimeClient } from '../support/sql-runtime.js';

// RLS proven below the application: a plain pg client on the runtime role, explicit
// transactions, no repository filter to help. Fixtures come through the API and the app's own
// tenant transactions, never as owner.
interface Fixture {
  tenant: TestTenant;
  studentId: string;
  courseId: string;
}

let h: Harness;
let a: Fixture;
let b: Fixture;
let client: pg.Client;

async function fixture(): Promise<Fixture> {
  const tenant = await h.createTenant();
  const studentId = await createStudentViaApi(h, tenant, 'S-1');
  const courseId = newId();
  await h.runner.tenant({ tenantId: tenant.id, userId: null }, ({ tx }) =>
    tx.course.create({ data: { tenantId: tenant.id, id: courseId, code: 'C-1', title: 'Course' } }),
  );
  return { tenant, studentId, courseId };
}

beforeAll(async () => {
  h = await createHarness();
  [a, b] = await Promise.all([fixture(), fixture()]);
});
afterAll(() => h.close());
beforeEach(async () => {
  client = await runtimeClient(h.db.runtimeUrl);
  await client.query('BEGIN');
});
afterEach(async () => {
  await client.query('ROLLBACK').catch(() => undefined);
  await client.end();
});

const asTenant = (t: Fixture) => client.query('SELECT app.begin_request($1, null)', [t.tenant.id]);
const count = async (sql: string, params: unknown[] = []) =>
  Number((await client.query<{ n: string }>(sql, params)).rows[0]!.n);
const insertStudent = (tenantId: string) =>
  attempt(
    client,
    `INSERT INTO students (tenant_id, id, student_no, first_name, last_name) VALUES ($1, $2, $3, 'X', 'Y')`,
    [tenantId, newId(), `S-${newId()}`],
  );

describe('no tenant set', () => {
  it('when no tenant is set, then every tenant table reads zero rows', async () => {
    const tables = await readableTenantTables(client);
    expect(tables.length).toBeGreaterThanOrEqual(7);
    for (const t of [...tables, 'tenants'])
      expect({ t, n: await count(`SELECT count(*) AS n FROM ${t}`) }).toEqual({ t, n: 0 });
    // Control: the same tables are not simply empty.
    await asTenant(a);
    expect(await count('SELECT count(*) AS n FROM students')).toBe(1);
    expect(await count('SELECT count(*) AS n FROM users')).toBe(1);
  });

  it('when no tenant is set, then inserts into tenant tables are refused by RLS (42501)', async () => {
    const id = a.tenant.id;
    expect((await insertStudent(id)).code).toBe('42501');
    const refused = [
      [`INSERT INTO courses (tenant_id, id, code, title) VALUES ($1, $2, 'C-x', 'T')`, [id, newId()]],
      [
        `INSERT INTO users (tenant_id, id, email, name, role, password_hash) VALUES ($1, $2, 'x@y.z', 'N', 'staff', 'h')`,
        [id, newId()],
      ],
      [`INSERT INTO domain_events (tenant_id, id, type, payload) VALUES ($1, $2, 'Forged', '{}')`, [id, newId()]],
      [`INSERT INTO audit_log (tenant_id, id, action) VALUES ($1, $2, 'forged')`, [id, newId()]],
      [`INSERT INTO enrollments (tenant_id, course_id, student_id) VALUES ($1, $2, $3)`, [id, a.courseId, a.studentId]],
    ] as const;
    for (const [sql, params] of refused)
      expect({ sql, code: (await attempt(client, sql, [...params])).code }).toEqual({ sql, code: '42501' });
  });
});

describe('tenant A set', () => {
  it('when tenant A is set, then no row of B (or of anyone but A) is visible in any tenant table', async () => {
    await asTenant(a);
    for (const t of await readableTenantTables(client)) {
      expect({ t, n: await count(`SELECT count(*) AS n FROM ${t} WHERE tenant_id <> $1`, [a.tenant.id]) }).toEqual({
        t,
        n: 0,
      });
    }
    expect(await count('SELECT count(*) AS n FROM students WHERE id = $1', [b.studentId])).toBe(0);
    expect((await client.query('SELECT id FROM tenants')).rows).toEqual([{ id: a.tenant.id }]);
  });

  it("when tenant A updates or deletes B's rows, then 0 rows are affected and B's data is unchanged", async () => {
    await asTenant(a);
    const bId = b.tenant.id;
    const writes = [
      [`UPDATE students SET first_name = 'hacked' WHERE id = $1`, [b.studentId]],
      [`UPDATE students SET first_name = 'hacked' WHERE tenant_id = $1`, [bId]],
      [`UPDATE tenant_settings SET plan = 'enterprise' WHERE tenant_id = $1`, [bId]],
      [`DELETE FROM students WHERE id = $1`, [b.studentId]],
      [`DELETE FROM users WHERE tenant_id = $1`, [bId]],
      [`DELETE FROM courses WHERE tenant_id = $1`, [bId]],
    ] as const;
    for (const [sql, params] of writes) {
      expect({ sql, n: (await client.query(sql, [...params])).rowCount }).toEqual({ sql, n: 0 });
    }
    await client.query('COMMIT');
    const res = await h.request('GET', `/api/v1/students/${b.studentId}`, { token: b.tenant.token });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { firstName: string }).firstName).toBe(`First ${b.tenant.slug}`);
    await client.query('BEGIN');
    await asTenant(b);
    expect(await count('SELECT count(*) AS n FROM users')).toBe(1);
    expect(await count('SELECT count(*) AS n FROM courses')).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM tenant_settings WHERE plan = 'enterprise'`)).toBe(0);
  });

  it("when tenant A inserts a row with B's tenant_id or moves its own row to B, then RLS WITH CHECK refuses (42501)", async () => {
    await asTenant(a);
    expect((await insertStudent(b.tenant.id)).code).toBe('42501');
    expect((await insertStudent(a.tenant.id)).code).toBeUndefined();
    const move = await attempt(client, 'UPDATE students SET tenant_id = $1 WHERE id = $2', [b.tenant.id, a.studentId]);
    // On Citus the distribution column cannot be changed at all: Citus refuses before RLS is asked.
    if (h.db.citus) expect(move).toMatchObject({ code: '0A000', message: expect.stringMatching(/partition value/) });
    else expect(move.code).toBe('42501');
  });

  it("when tenant A enrolls B's student or into B's course, then the composite foreign key refuses (23503)", async () => {
    await asTenant(a);
    const enroll = (courseId: string, studentId: string) =>
      attempt(client, 'INSERT INTO enrollments (tenant_id, course_id, student_id) VALUES ($1, $2, $3)', [
        a.tenant.id,
        courseId,
        studentId,
      ]);
    // On Citus the worker's error names the shard's copy of the constraint (<name>_<shard id>)
    // in its message only.
    const refused = (name: string) =>
      h.db.citus
        ? { code: '23503', message: expect.stringMatching(new RegExp(`"${name}_\\d+"`)) }
        : { code: '23503', constraint: name };
    expect((await enroll(a.courseId, a.studentId)).code).toBeUndefined();
    expect(await enroll(a.courseId, b.studentId)).toMatchObject(refused('enrollments_tenant_id_student_id_fkey'));
    expect(await enroll(b.courseId, a.studentId)).toMatchObject(refused('enrollments_tenant_id_course_id_fkey'));
  });
});

describe('context function and role boundaries', () => {
  it('when begin_request names an unknown or suspended tenant or an unknown user, then it raises TN404, TN403, TN401', async () => {
    const suspended = await h.createTenant();
    const res = await h.request('POST', `/api/v1/tenants/${suspended.id}/suspend`, { token: h.platformToken });
    expect(res.status).toBe(200);
    const begin = (tenant: string, user: string | null) =>
      attempt(client, 'SELECT app.begin_request($1, $2)', [tenant, user]);
    expect((await begin(newId(), null)).code).toBe('TN404');
    expect((await begin(suspended.id, null)).code).toBe('TN403');
    expect((await begin(suspended.id, suspended.adminId)).code).toBe('TN403');
    expect((await begin(a.tenant.id, b.tenant.adminId)).code).toBe('TN401');
    expect((await begin(a.tenant.id, a.tenant.adminId)).rows).toEqual([{ begin_request: 'active' }]);
  });

  it('when a tenant transaction commits or rolls back, then the same connection keeps no tenant context', async () => {
    const ctx = async () =>
      (
        await client.query(
          `SELECT current_setting('app.current_tenant_id', true) AS raw, app.current_tenant_id() AS tenant,
                  app.current_user_id() AS "user", (SELECT count(*)::int FROM students) AS students`,
        )
      ).rows[0];
    await client.query('SELECT app.begin_request($1, $2)', [a.tenant.id, a.tenant.adminId]);
    expect(await ctx()).toEqual({ raw: a.tenant.id, tenant: a.tenant.id, user: a.tenant.adminId, students: 1 });
    for (const end of ['COMMIT', 'ROLLBACK']) {
      await client.query(end);
      const after = await ctx();
      expect(['', null]).toContain(after.raw);
      expect(after).toMatchObject({ tenant: null, user: null, students: 0 });
      await client.query('BEGIN');
      await client.query('SELECT app.begin_request($1, null)', [b.tenant.id]);
    }
  });

  it('when the runtime login reads platform_admins, then it is denied with or without context, and begin_platform is not its to call', async () => {
    expect((await attempt(client, 'SELECT count(*) FROM platform_admins')).code).toBe('42501');
    await asTenant(a);
    expect((await attempt(client, 'SELECT count(*) FROM platform_admins')).code).toBe('42501');
    expect((await attempt(client, 'SELECT app.begin_platform($1)', [h.platformAdminId])).code).toBe('42501');
    expect((await attempt(client, 'SELECT count(*) FROM platform_admins')).code).toBe('42501');
    // Only the platform login, on a connection of its own, reads them.
    const platform = await runtimeClient(h.db.platformUrl);
    try {
      await platform.query('BEGIN');
      await platform.query('SELECT app.begin_platform($1)', [h.platformAdminId]);
      const seen = await platform.query('SELECT current_user AS who, count(*)::int AS n FROM platform_admins');
      expect(seen.rows[0]).toMatchObject({ who: 'tenantry_platform' });
      expect(seen.rows[0]!.n).toBeGreaterThanOrEqual(1);
      await platform.query('COMMIT');
    } finally {
      await platform.end();
    }
  });
});
