import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { gucInjections, injectionHeaders, PROBE, probeRequests, recordStatements } from '../support/guc-probes.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { createStudent, type PageBody, readJson, type StudentBody } from '../support/http-fixtures.js';
import { attempt, readableTenantTables, runtimeClient } from '../support/sql-runtime.js';

// The tenant context as the database enforces it, seen from the runtime role: without it
// nothing is visible; inside a request it is the token's tenant; no user input becomes SQL
// that could change it; the role cannot step around it; statistics do not leak values.
const recorder = recordStatements(); // before the harness's pool opens its first connection
let h: Harness;
const onCitus = inject('db').citus;
let a: TestTenant;
let b: TestTenant;
let client: pg.Client;
const secret = `Zelda${newId().slice(-8)}`;
const B_ROWS = 50; // frequent enough to be among first_name's most common values

beforeAll(async () => {
  h = await createHarness();
  [a, b] = await Promise.all([h.createTenant({ plan: 'premium' }), h.createTenant({ plan: 'standard' })]);
  await createStudent(h, a.token);
  const bulk = Array.from({ length: B_ROWS }, (_, i) => ({ studentNo: `Z-${i}`, firstName: secret, lastName: 'B' }));
  const res = await h.request('POST', '/api/v1/students/bulk', { token: b.token, body: { students: bulk } });
  expect(res.status).toBeLessThan(300);
});
afterAll(async () => {
  recorder.restore();
  await h?.close();
});
beforeEach(async () => {
  client = await runtimeClient(h.db.runtimeUrl);
});
afterEach(async () => {
  await client.query('ROLLBACK').catch(() => undefined);
  await client.end();
});

const one = async <T>(sql: string, params: unknown[] = []) =>
  Object.values((await client.query(sql, params)).rows[0] ?? {})[0] as T;
const listAll = async (token: string) =>
  (await readJson<PageBody<StudentBody>>(await h.request('GET', '/api/v1/students?limit=100', { token }))).data;

describe('no tenant context', () => {
  it('when no context is set, then every tenant table, tenants and the context functions show nothing', async () => {
    await client.query('BEGIN');
    const tables = await readableTenantTables(client);
    expect(tables).toEqual(expect.arrayContaining(['students', 'users', 'courses', 'audit_log']));
    for (const t of [...tables, 'tenants'])
      expect({ t, n: Number(await one(`SELECT count(*) FROM ${t}`)) }).toEqual({ t, n: 0 });
    expect(await one('SELECT app.current_tenant_id()')).toBeNull();
    // The app's own Prisma client outside a tenant transaction is just as blind.
    expect(await h.clients.prisma.student.count()).toBe(0);
  });
});

describe('the context inside a request transaction', () => {
  it('when the runner opens tenant transactions, then each reads exactly its own tenant and user, even interleaved', async () => {
    const read = (t: TestTenant) =>
      h.runner.tenant({ tenantId: t.id, userId: t.adminId }, async ({ tx }) => {
        await tx.$executeRaw`SELECT pg_sleep(0.01)`;
        return tx.$queryRaw<{ tenant: string; user: string }[]>`
          SELECT current_setting('app.current_tenant_id', true) AS tenant, current_setting('app.current_user_id', true) AS user`;
      });
    const seen = await Promise.all([a, b, a, b, a, b].map(read));
    expect(seen.map((rows) => rows[0])).toEqual([a, b, a, b, a, b].map((t) => ({ tenant: t.id, user: t.adminId })));
  });

  it('when every field, query and header carries GUC-switching strings, then they stay data: no SQL text holds them and A sees only A', async () => {
    const bBefore = await listAll(b.token);
    const headers = injectionHeaders(b);
    const inj = gucInjections(b.id);
    recorder.clear();
    const send = (method: string, path: string, body?: unknown) =>
      h.request(method, path, { token: a.token, body, headers });
    const statuses: number[] = [];
    const created: string[] = [];
    for (const [i, s] of inj.entries()) {
      const res = await send('POST', '/api/v1/students', {
        studentNo: `${i}${s}`.slice(0, 64),
        firstName: s,
        lastName: s,
      });
      expect({ s, status: res.status }).toEqual({ s, status: 201 });
      created.push((await readJson<StudentBody>(res)).id);
      for (const [method, path, body] of probeRequests(s, i, {
        studentId: created[i]!,
        ownSlug: a.slug,
        victimId: b.id,
      })) {
        statuses.push((await send(method, path, body)).status);
      }
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const statements = recorder.statements();
    // Positive control: the recorder did see the requests' SQL, with the strings as bound values.
    expect(statements.some((st) => st.values.some((v) => String(v).includes(PROBE)))).toBe(true);
    expect(statements.filter((st) => st.text.includes(PROBE) || st.text.includes(b.id))).toEqual([]);
    expect(statements.filter((st) => /set_config|\bSET\s+(LOCAL\s+|SESSION\s+)?(ROLE|app\.)/i.test(st.text))).toEqual(
      [],
    );
    const contexts = statements.filter((st) => st.text.includes('app.begin_request'));
    expect(contexts.length).toBeGreaterThan(inj.length);
    expect(new Set(contexts.map((st) => st.values[0]))).toEqual(new Set([a.id]));

    const mine = await listAll(a.token);
    expect(mine.map((s) => s.firstName)).toEqual(expect.arrayContaining(inj));
    expect(mine.filter((s) => s.firstName === secret)).toEqual([]);
    expect(mine.filter((s) => created.includes(s.id)).map((s) => s.lastName)).toEqual(expect.arrayContaining(inj));
    expect(await listAll(b.token)).toEqual(bBefore);
  });
});

describe('what the runtime role can and cannot do', () => {
  it('when it tries to become the owner or a superuser, or to widen itself, then each attempt is refused (42501)', async () => {
    await client.query('BEGIN');
    const superuser = new URL(h.db.superUrl).username || 'postgres';
    for (const sql of [
      'SET ROLE tenantry_owner',
      `SET ROLE ${superuser}`,
      'SET SESSION AUTHORIZATION tenantry_owner',
      'GRANT tenantry_owner TO tenantry_app',
      'ALTER ROLE tenantry_app BYPASSRLS',
      'CREATE ROLE gate_never',
      'ALTER TABLE students DISABLE ROW LEVEL SECURITY',
      'CREATE TABLE public.shadow (id int)',
      'CREATE TEMP TABLE shadow (id int)', // no pg_temp objects to hijack an unpinned search_path
    ])
      expect({ sql, code: (await attempt(client, sql)).code }).toEqual({ sql, code: '42501' });
  });

  it('when it tries to reach the platform plane, then SET ROLE to the platform login or any cross-tenant role and begin_platform are refused', async () => {
    await client.query('BEGIN');
    // Every role a policy other than the tenant ones is written for, read from the catalog.
    const crossTenant = (
      await client.query<{ role: string }>(
        `SELECT DISTINCT r AS role FROM pg_policies, unnest(roles::text[]) r
          WHERE schemaname = 'public' AND r <> 'public'
            AND NOT (coalesce(qual, '') IN ('(tenant_id = app.current_tenant_id())', '(id = app.current_tenant_id())')
                     AND coalesce(with_check, '(tenant_id = app.current_tenant_id())') = '(tenant_id = app.current_tenant_id())')`,
      )
    ).rows.map((r) => r.role);
    expect(crossTenant).toContain('tenantry_platform');
    for (const role of new Set([...crossTenant, 'tenantry_platform'])) {
      for (const sql of [`SET ROLE ${role}`, `SET LOCAL ROLE ${role}`, `SET SESSION AUTHORIZATION ${role}`])
        expect({ sql, code: (await attempt(client, sql)).code }).toEqual({ sql, code: '42501' });
    }
    expect((await attempt(client, 'SELECT app.begin_platform(NULL)')).code).toBe('42501');
    expect(await one(`SELECT pg_has_role('tenantry_platform', 'MEMBER')`)).toBe(false);
    expect(Number(await one('SELECT count(*) FROM tenants WHERE id = ANY ($1)', [[a.id, b.id]]))).toBe(0);
    expect(await one('SELECT current_user')).toBe('tenantry_app');
  });

  it('when begin_request gets NULL, an unknown or a suspended tenant, then it raises and sets no context', async () => {
    const suspended = await h.createTenant();
    expect(
      (await h.request('POST', `/api/v1/tenants/${suspended.id}/suspend`, { token: h.platformToken })).status,
    ).toBe(200);
    await client.query('BEGIN');
    const codes = [];
    for (const tenant of [null, newId(), suspended.id])
      codes.push((await attempt(client, 'SELECT app.begin_request($1, null)', [tenant])).code);
    expect(codes).toEqual(['TN400', 'TN404', 'TN403']);
    expect(await one(`SELECT coalesce(current_setting('app.current_tenant_id', true), '')`)).toBe('');
  });

  it('when it sets the GUC itself, then it reaches that tenant: the documented trust in the one runtime login', async () => {
    // RLS guards against application code that forgets a filter, not against arbitrary SQL as
    // tenantry_app: the test above shows no user input becomes SQL.
    await client.query('BEGIN');
    // SET LOCAL, as app.begin_request does: on Citus only SET LOCAL reaches the workers.
    await client.query(`SET LOCAL app.current_tenant_id = ${client.escapeLiteral(b.id)}`);
    expect(Number(await one('SELECT count(*) FROM students'))).toBe(B_ROWS);
  });
});

// Measured (PostgreSQL 15 and 18): pg_stats hides every table whose RLS applies to the reader
// (its view filters on row_security_active), so most_common_vals of students are not exposed to
// tenantry_app, with or without context, nor to the tenantry_platform login. What remains visible to SQL
// run as tenantry_app — never reachable through the API (see the injection test above):
// table-wide row counts across all tenants (pg_class.reltuples, pg_stat_user_tables), and
// planner estimates (EXPLAIN rows) that still use the column statistics, a weak oracle for
// values frequent in other tenants. ALTER TABLE ... ALTER COLUMN ... SET STATISTICS 0 on a
// sensitive column would remove the latter, at the cost of plan quality.
describe('statistics and catalog exposure', () => {
  // On Citus the coordinator's students table holds no rows (its statistics are empty): the
  // values live in the shards' statistics on the workers, checked by the test after this one.
  it.skipIf(onCitus)(
    'when students are analyzed, then pg_statistic is denied and pg_stats shows the runtime role no tenant table (not on Citus: the coordinator holds no rows to analyze; the shard test below checks the workers)',
    async () => {
      const su = await runtimeClient(h.db.superUrl);
      try {
        await su.query('ANALYZE students');
        // Control: the values are in the statistics, for a role that RLS does not bind.
        const stats = await su.query(
          `SELECT most_common_vals::text AS v FROM pg_stats WHERE tablename = 'students' AND attname = 'first_name'`,
        );
        expect(stats.rows[0]?.v).toContain(secret);
      } finally {
        await su.end();
      }
      await client.query('BEGIN');
      expect((await attempt(client, 'SELECT count(*) FROM pg_statistic')).code).toBe('42501');
      const tables = await readableTenantTables(client);
      const visible = `SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = ANY ($1)`;
      // pg_stats hides tables whose RLS applies to the reader (row_security_active): no context,
      // tenant A, and the platform role alike.
      expect(Number(await one(visible, [tables]))).toBe(0);
      await client.query('SELECT app.begin_request($1, null)', [a.id]);
      expect(Number(await one(visible, [tables]))).toBe(0);
      const platform = await runtimeClient(h.db.platformUrl);
      try {
        const seen = await platform.query(visible, [tables]);
        expect(Number(seen.rows[0]?.count)).toBe(0);
      } finally {
        await platform.end();
      }
    },
  );
});

describe('statistics and catalog exposure on Citus', () => {
  it.runIf(onCitus)(
    '(Citus only: on one node the test above covers it) when the shards of students are analyzed on the workers, then there pg_statistic is denied and pg_stats shows the runtime login no shard of a tenant table',
    async () => {
      const su = await runtimeClient(h.db.superUrl);
      let workers: string[];
      try {
        await su.query('ANALYZE students');
        // Control: the values are in the shards' statistics, for a role that RLS does not bind.
        const { rows } = await su.query<{ result: string }>(
          `SELECT result FROM run_command_on_shards('students', $cmd$SELECT most_common_vals::text FROM pg_stats
            WHERE (quote_ident(schemaname) || '.' || quote_ident(tablename))::regclass = '%s'::regclass
              AND attname = 'first_name'$cmd$)`,
        );
        expect(rows.some((r) => r.result?.includes(secret))).toBe(true);
        const nodes = await su.query<{ node_name: string; node_port: number }>(
          'SELECT node_name, node_port FROM citus_get_active_worker_nodes()',
        );
        workers = nodes.rows.map((n) => {
          const u = new URL(h.db.runtimeUrl);
          u.hostname = n.node_name;
          u.port = String(n.node_port);
          return u.toString();
        });
      } finally {
        await su.end();
      }
      expect(workers.length).toBeGreaterThan(0);
      for (const url of workers) {
        // The runtime login straight on a worker, with and without a tenant.
        const worker = await runtimeClient(url);
        try {
          await worker.query('BEGIN');
          expect((await attempt(worker, 'SELECT count(*) FROM pg_statistic')).code).toBe('42501');
          const visible = `SELECT count(*)::int AS n FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename
                           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                          WHERE s.schemaname = 'public'`;
          expect((await worker.query(visible)).rows[0]?.n).toBe(0);
          await worker.query(`SET LOCAL app.current_tenant_id = ${worker.escapeLiteral(a.id)}`);
          expect((await worker.query(visible)).rows[0]?.n).toBe(0);
        } finally {
          await worker.end();
        }
      }
    },
  );
});
