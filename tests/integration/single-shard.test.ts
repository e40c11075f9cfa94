import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCourse } from '../support/course-fixtures.js';
import { createHarness, type Harness } from '../support/harness.js';
import { addUser, createStudent, eventually, readJson, studentInput } from '../support/http-fixtures.js';
import {
  fannedOutTasks,
  type RecordedStatement,
  recordStatements,
  type UnroutedScan,
  unroutedScans,
} from '../support/statement-recorder.js';
import { exportText, importText } from '../support/transfer-fixtures.js';

/**
 * On Citus a statement is routed to one shard only when it filters the distribution column,
 * tenant_id, on one value; a filter that comes from the RLS policy alone fans out to every
 * shard, and a FOR UPDATE across shards is refused. This proves it without Citus: every
 * statement the application sends during a walk through the whole API is recorded, planned
 * (EXPLAIN as a superuser, which bypasses RLS, so only the application's own predicates show)
 * and each scan of a tenant table must carry `tenant_id = <one value>`.
 *
 * The few cross-tenant statements are platform work by design; each is allowed here with its
 * reason, and each must still be sent during the walk (a stale entry fails the test).
 */
const ALLOWED: { pattern: RegExp; why: string; prunedOnCitus?: true }[] = [
  {
    pattern: /^\s*SELECT DISTINCT tenant_id FROM domain_events/,
    why: 'outbox: which tenants have pending events — a lock-free read; each claim after it filters one tenant (src/events/dispatcher.ts)',
  },
  {
    pattern: /FROM "public"\."domain_events" WHERE 1=1 ORDER BY/,
    why: 'GET /events without ?tenantId: the platform admin’s cross-tenant event list, read-only (a multi-shard SELECT on Citus)',
  },
  {
    pattern: /FROM "public"\."tenant_settings" WHERE "public"\."tenant_settings"\."tenant_id" IN \(/,
    why: 'GET /tenants: the settings of one page of tenants, loaded by Prisma as tenant_id IN (…) — platform-only and read-only; Citus prunes it to those tenants’ shards',
    // When the page's tenants share a shard, Citus plans it as one task: not always seen there.
    prunedOnCitus: true,
  },
  {
    pattern: /^\s*WITH page AS \(\s*SELECT id, slug, status FROM tenants/,
    why: 'GET /admin/stats: one page of tenants with their row counts in one statement, read-only (each table counted for the page’s tenants only, tenant_id IN (the page); a multi-shard read on Citus)',
  },
];

/**
 * On one PostgreSQL the plan's scans must carry the tenant_id predicate; on a Citus coordinator
 * Citus's own plan says it directly: how many shard tasks each distributed part runs.
 */
const check = (plan: unknown, tables: Set<string>): UnroutedScan[] =>
  inject('db').citus
    ? fannedOutTasks(plan, tables)
    : unroutedScans(plan as Parameters<typeof unroutedScans>[0], tables);

/** Functions called with the tenant as an argument; their statements in sql/ filter on it. */
const FUNCTIONS = /^SELECT app\.(begin_request|begin_platform|lock_quota)\(/;

let h: Harness;
let recorded: RecordedStatement[] = [];
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

/** A walk through every route family, as platform admin and tenant users; returns what was sent. */
async function walk(): Promise<RecordedStatement[]> {
  const recorder = recordStatements();
  try {
    const t = await h.createTenant({ plan: 'premium' });
    const other = await h.createTenant();
    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: t.slug, email: t.adminEmail, password: t.adminPassword },
    });
    expect(login.status).toBe(200);
    const { refreshToken } = await readJson<{ refreshToken: string }>(login);
    const refreshed = await h.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
    expect(refreshed.status).toBe(200);
    const second = await readJson<{ refreshToken: string }>(refreshed);
    expect(
      (await h.request('POST', '/api/v1/auth/logout', { body: { refreshToken: second.refreshToken } })).status,
    ).toBeLessThan(300);

    for (const path of ['/api/v1/me', '/api/v1/tenant', '/api/v1/users', '/api/v1/audit-log']) {
      expect((await h.request('GET', path, { token: t.token })).status).toBe(200);
    }
    expect(
      (await h.request('PATCH', '/api/v1/tenant/settings', { token: t.token, body: { timezone: 'Europe/Paris' } }))
        .status,
    ).toBeLessThan(500);
    const staff = await addUser(h, t, 'staff');
    expect((await h.request('GET', `/api/v1/users/${staff.id}`, { token: t.token })).status).toBe(200);
    expect(
      (await h.request('PATCH', `/api/v1/users/${staff.id}`, { token: t.token, body: { name: 'Renamed' } })).status,
    ).toBe(200);

    const student = await createStudent(h, staff.token, { email: 'walk@school.test' });
    const bulk = await h.request('POST', '/api/v1/students/bulk', {
      token: t.token,
      body: { students: [studentInput(), studentInput()] },
    });
    expect(bulk.status).toBe(201);
    expect((await h.request('GET', '/api/v1/students?limit=2', { token: t.token })).status).toBe(200);
    expect((await h.request('GET', `/api/v1/students/${student.id}`, { token: t.token })).status).toBe(200);
    expect(
      (await h.request('PATCH', `/api/v1/students/${student.id}`, { token: t.token, body: { firstName: 'Grace' } }))
        .status,
    ).toBe(200);
    const course = await createCourse(h, t.token, { capacity: 5 });
    expect((await h.request('GET', '/api/v1/courses', { token: t.token })).status).toBe(200);
    expect((await h.request('GET', `/api/v1/courses/${course.id}`, { token: t.token })).status).toBe(200);
    expect(
      (await h.request('PATCH', `/api/v1/courses/${course.id}`, { token: t.token, body: { title: 'Logic' } })).status,
    ).toBe(200);
    const enrol = await h.request('POST', `/api/v1/courses/${course.id}/enrollments`, {
      token: t.token,
      body: { studentId: student.id },
    });
    expect(enrol.status).toBe(201);
    expect((await h.request('GET', `/api/v1/courses/${course.id}/enrollments`, { token: t.token })).status).toBe(200);
    expect(
      (await h.request('DELETE', `/api/v1/courses/${course.id}/enrollments/${student.id}`, { token: t.token })).status,
    ).toBe(204);
    expect((await h.request('DELETE', `/api/v1/students/${student.id}`, { token: t.token })).status).toBe(204);
    expect((await h.request('DELETE', `/api/v1/courses/${course.id}`, { token: t.token })).status).toBe(204);
    expect((await h.request('DELETE', `/api/v1/users/${staff.id}`, { token: t.token })).status).toBe(204);

    // Platform plane: tenant list, usage, stats, events, the outbox, export and import, deletion.
    const p = { token: h.platformToken };
    for (const path of [
      '/api/v1/tenants',
      `/api/v1/tenants/${t.id}/usage`,
      '/api/v1/admin/stats',
      '/api/v1/events',
      `/api/v1/events?tenantId=${t.id}`,
    ]) {
      expect((await h.request('GET', path, p)).status).toBe(200);
    }
    await eventually(async () => {
      await h.dispatcher.drain();
      expect((await h.request('GET', `/api/v1/events?tenantId=${t.id}`, p)).status).toBe(200);
    });
    const exported = await exportText(h, t);
    const imported = await importText(h, exported.replace(t.slug, `${t.slug}-copy`));
    expect(imported.status).toBeLessThan(500);
    expect((await h.request('DELETE', `/api/v1/tenants/${other.id}`, p)).status).toBeLessThan(300);
  } finally {
    recorder.stop();
  }
  return recorder.statements;
}

async function tenantTables(client: pg.Client): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
  );
  return new Set(rows.map((r) => r.name));
}

describe('every tenant-table statement routes to one shard', () => {
  it('when the whole API is walked, then every statement on a tenant table filters tenant_id on one value, apart from the justified platform reads', async () => {
    recorded = await walk();
    const superuser = new pg.Client({ connectionString: h.db.superUrl });
    await superuser.connect();
    try {
      const tables = await tenantTables(superuser);
      const mentions = new RegExp(`"?\\b(${[...tables].join('|')})\\b"?`);
      const seen = new Map<string, RecordedStatement>();
      for (const s of recorded) if (!seen.has(s.text)) seen.set(s.text, s);
      const planned = [...seen.values()].filter(
        (s) =>
          /^\s*(WITH|SELECT|INSERT|UPDATE|DELETE)\b/i.test(s.text) && mentions.test(s.text) && !FUNCTIONS.test(s.text),
      );
      expect(planned.length).toBeGreaterThan(30);

      const offenders: { text: string; scans: UnroutedScan[] }[] = [];
      const used = new Set<number>();
      for (const s of planned) {
        await superuser.query('BEGIN');
        let plan: unknown;
        try {
          const res = await superuser.query<{ 'QUERY PLAN': [{ Plan: Parameters<typeof unroutedScans>[0] }] }>(
            `EXPLAIN (FORMAT JSON) ${s.text}`,
            s.values,
          );
          plan = res.rows[0]?.['QUERY PLAN'][0].Plan;
        } finally {
          await superuser.query('ROLLBACK');
        }
        const scans = check(plan, tables);
        if (scans.length === 0) continue;
        const allowed = ALLOWED.findIndex((a) => a.pattern.test(s.text));
        if (allowed >= 0) used.add(allowed);
        else offenders.push({ text: s.text, scans });
      }
      if (process.env.SINGLE_SHARD_VERBOSE)
        console.log(
          JSON.stringify(
            planned.map((p) => p.text),
            null,
            1,
          ),
        );
      expect(offenders).toEqual([]);
      // Every allow-list entry is still needed: a stale one would hide a future regression.
      const stale = ALLOWED.filter((a, i) => !used.has(i) && !(a.prunedOnCitus && inject('db').citus));
      expect(stale.map((a) => a.why)).toEqual([]);
    } finally {
      await superuser.end();
    }
  }, 180_000);

  it('when a statement scans a tenant table through the policy alone, then the check reports it', async () => {
    // The check itself can fail: a tenant query without its own tenant_id predicate is caught.
    const superuser = new pg.Client({ connectionString: h.db.superUrl });
    await superuser.connect();
    try {
      const tables = await tenantTables(superuser);
      const explain = async (sql: string, values: unknown[] = []) => {
        const res = await superuser.query(`EXPLAIN (FORMAT JSON) ${sql}`, values);
        return check(res.rows[0]['QUERY PLAN'][0].Plan, tables);
      };
      expect(await explain(`SELECT * FROM students WHERE student_no = $1`, ['S-1'])).toMatchObject([
        { table: 'students' },
      ]);
      expect(
        // Several tenants (Citus prunes a one-element list to its one shard; eight spread over shards).
        await explain(`SELECT * FROM students WHERE tenant_id = ANY ($1::uuid[])`, [
          Array.from({ length: 8 }, (_, i) => `00000000-0000-7000-8000-00000000000${i + 1}`),
        ]),
      ).toMatchObject([{ table: 'students' }]);
      expect(
        await explain(`SELECT * FROM students WHERE tenant_id = $1 AND id = $2`, [
          '00000000-0000-7000-8000-000000000001',
          '00000000-0000-7000-8000-000000000002',
        ]),
      ).toEqual([]);
      expect(
        await explain(
          `SELECT e.* FROM enrollments e JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id WHERE e.tenant_id = $1`,
          ['00000000-0000-7000-8000-000000000001'],
        ),
      ).toEqual([]);
    } finally {
      await superuser.end();
    }
  });
});
