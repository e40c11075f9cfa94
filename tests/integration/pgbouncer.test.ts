import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { bouncerWaiting, inspectThroughBouncer } from '../support/bouncer-inspection.js';
import type { Harness, TestTenant } from '../support/harness.js';
import { createHarnessOn } from '../support/harness.js';
import { comparable, createStudent, expectProblem, type PageBody, type StudentBody } from '../support/http-fixtures.js';
import { type PgBouncer, pgbouncerForTests, startPgBouncer } from '../support/pgbouncer.js';
import { attempt, readableTenantTables } from '../support/sql-runtime.js';

// The isolation suite again, with PgBouncer in transaction pooling mode between the app and
// PostgreSQL: many clients (two app instances, plain pg clients) share 3 server connections,
// so a tenant setting that outlived its transaction would reach another client.
const installed = pgbouncerForTests();
const SERVERS = 3;
const TENANTS = 22;
const REQUESTS = 520;
const IN_FLIGHT = 40;

let bouncer: PgBouncer;
let apps: Harness[];
let tenants: TestTenant[];
let url: string;
const owner = new Map<string, number>();
const idsOf: string[][] = [];

async function seed(t: number, n: number, app = apps[0]!) {
  const s = await createStudent(app, tenants[t]!.token, { studentNo: `${tenants[t]!.slug}-${n}` });
  owner.set(s.id, t);
  idsOf[t]!.push(s.id);
  return s;
}

describe.runIf(installed)(`isolation through PgBouncer${installed ? '' : ' (pgbouncer not installed here)'}`, () => {
  beforeAll(async () => {
    const db = inject('db');
    // Both logins through the bouncer: each gets its own server pool there (per user).
    bouncer = await startPgBouncer({ urls: [db.runtimeUrl, db.platformUrl], poolSize: SERVERS });
    url = bouncer.via(db.runtimeUrl);
    const via = { ...db, runtimeUrl: url, platformUrl: bouncer.via(db.platformUrl) };
    const opts = { poolSize: 12, preparedStatements: bouncer.preparedStatements };
    // One after the other: the first generates the shared signing key file, the second reads it.
    apps = [await createHarnessOn(via, opts)];
    apps.push(await createHarnessOn(via, opts));
    tenants = await Promise.all(Array.from({ length: TENANTS }, (_, i) => apps[i % 2]!.createTenant()));
    for (const _ of tenants) idsOf.push([]);
    await Promise.all(tenants.map(async (_, t) => [await seed(t, 0), await seed(t, 1, apps[1])]));
  }, 60_000);
  afterAll(async () => {
    await Promise.all((apps ?? []).map((a) => a.close()));
    await bouncer?.stop();
  });

  it("when tenant A reads, patches or deletes B's student through PgBouncer, then 404 as for a missing id and B's row is unchanged", async () => {
    const [h, other] = apps as [Harness, Harness];
    const [a, b] = [tenants[0]!, tenants[1]!];
    const victim = await createStudent(other, b.token, { firstName: 'Bob' });
    owner.set(victim.id, 1);
    for (const [method, body] of [['GET'], ['PATCH', { firstName: 'Mallory' }], ['DELETE']] as const) {
      const foreign = await h.request(method, `/api/v1/students/${victim.id}`, { token: a.token, body });
      const missing = await h.request(method, `/api/v1/students/${randomUUID()}`, { token: a.token, body });
      expect(comparable(await expectProblem(foreign, 404, 'not_found'))).toEqual(
        comparable(await expectProblem(missing, 404, 'not_found')),
      );
    }
    const list = (await (
      await h.request('GET', '/api/v1/students?limit=100', { token: a.token })
    ).json()) as PageBody<StudentBody>;
    expect(list.data.map((s) => s.id).sort()).toEqual([...idsOf[0]!].sort());
    expect(await (await other.request('GET', `/api/v1/students/${victim.id}`, { token: b.token })).json()).toEqual(
      victim,
    );
  });

  describe('SQL level, runtime role through PgBouncer', () => {
    let client: pg.Client;
    beforeAll(async () => {
      client = new pg.Client({ connectionString: url });
      await client.connect();
    });
    afterAll(() => client?.end());
    const count = async (sql: string, params: unknown[] = []) =>
      Number((await client.query<{ n: string }>(sql, params)).rows[0]!.n);

    it('when no tenant is set, then every tenant table reads zero rows and inserts are refused (42501)', async () => {
      await client.query('BEGIN');
      try {
        for (const t of [...(await readableTenantTables(client)), 'tenants'])
          expect({ t, n: await count(`SELECT count(*) AS n FROM ${t}`) }).toEqual({ t, n: 0 });
        const insert = await attempt(
          client,
          `INSERT INTO students (tenant_id, id, student_no, first_name, last_name) VALUES ($1, $2, 'x', 'X', 'Y')`,
          [tenants[0]!.id, newId()],
        );
        expect(insert.code).toBe('42501');
      } finally {
        await client.query('ROLLBACK');
      }
    });

    it("when tenant A is set, then B's rows are invisible and untouchable, and after COMMIT the next statement has no tenant", async () => {
      const [a, b] = [tenants[2]!, tenants[3]!];
      await client.query('BEGIN');
      await client.query('SELECT app.begin_request($1, null)', [a.id]);
      expect(await count('SELECT count(*) AS n FROM students WHERE tenant_id <> $1', [a.id])).toBe(0);
      expect(await count('SELECT count(*) AS n FROM students')).toBe(idsOf[2]!.length);
      expect(
        (await client.query(`UPDATE students SET first_name = 'hacked' WHERE tenant_id = $1`, [b.id])).rowCount,
      ).toBe(0);
      expect((await client.query('DELETE FROM students WHERE id = ANY($1)', [idsOf[3]])).rowCount).toBe(0);
      // On Citus the distribution column cannot be changed at all: Citus refuses before RLS is asked.
      expect(
        (await attempt(client, 'UPDATE students SET tenant_id = $1 WHERE id = $2', [b.id, idsOf[2]![0]])).code,
      ).toBe(inject('db').citus ? '0A000' : '42501');
      await client.query('COMMIT');
      const after = await client.query(
        `SELECT current_setting('app.current_tenant_id', true) AS raw, (SELECT count(*)::int FROM students) AS n`,
      );
      expect(['', null]).toContain(after.rows[0].raw);
      expect(after.rows[0].n).toBe(0);
      const seenByB = await apps[1]!.request('GET', `/api/v1/students/${idsOf[3]![0]}`, { token: b.token });
      expect(((await seenByB.json()) as StudentBody).firstName).not.toBe('hacked');
    });
  });

  it('when 500+ requests from 20+ tenants over two apps share 3 PgBouncer server connections, then responses hold only their own rows and no server connection keeps a tenant', async () => {
    let state = 0x5eed; // deterministic, so a failure replays the same interleaving
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    const ops = ['list', 'list', 'get', 'get', 'create', 'patch', 'foreign', 'duplicate'] as const;
    const plan = Array.from({ length: REQUESTS }, (_, i) => ({
      i,
      t: rand(TENANTS),
      op: ops[rand(ops.length)]!,
      k: rand(1 << 20),
    }));
    const expected = { list: 200, get: 200, create: 201, patch: 200, foreign: 404, duplicate: 409 } as const;
    const unexpected: string[] = [];
    const foreign: string[] = [];
    let maxWaiting = 0;
    let next = 0;
    const worker = async (w: number) => {
      const h = apps[w % 2]!;
      while (next < plan.length) {
        const { i, t, op, k } = plan[next++]!;
        const token = tenants[t]!.token;
        const mine = idsOf[t]![k % idsOf[t]!.length]!;
        const theirs = idsOf[(t + 1 + (k % (TENANTS - 1))) % TENANTS]![0]!;
        const student = {
          studentNo: `${tenants[t]!.slug}-${op === 'duplicate' ? 0 : 1000 + i}`,
          firstName: 'F',
          lastName: 'L',
        };
        const res =
          op === 'list'
            ? await h.request('GET', '/api/v1/students?limit=100', { token })
            : op === 'get'
              ? await h.request('GET', `/api/v1/students/${mine}`, { token })
              : op === 'patch'
                ? await h.request('PATCH', `/api/v1/students/${mine}`, { token, body: { lastName: `P${i}` } })
                : op === 'foreign'
                  ? await h.request('GET', `/api/v1/students/${theirs}`, { token })
                  : await h.request('POST', '/api/v1/students', { token, body: student });
        if (res.status !== expected[op]) unexpected.push(`#${i} ${op} tenant ${t}: ${res.status} ${await res.text()}`);
        else if (res.status < 300) {
          const body = (await res.json()) as StudentBody | PageBody<StudentBody>;
          const rows = 'data' in body ? body.data : [body];
          if (op === 'create') owner.set(rows[0]!.id, t);
          // A row created concurrently may be listed before its own 201 arrives: judge it by its number.
          const own = (s: StudentBody) =>
            owner.has(s.id) ? owner.get(s.id) === t : s.studentNo.startsWith(`${tenants[t]!.slug}-`);
          for (const s of rows) if (!own(s)) foreign.push(`${op} by tenant ${t} saw ${s.id} (${s.studentNo})`);
        }
      }
    };
    const sampler = setInterval(() => {
      bouncerWaiting(bouncer.adminUrl).then(
        (n) => (maxWaiting = Math.max(maxWaiting, n)),
        () => undefined,
      );
    }, 25);
    try {
      await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
    } finally {
      clearInterval(sampler);
    }
    expect(unexpected).toEqual([]);
    expect(foreign).toEqual([]);
    expect(maxWaiting).toBeGreaterThan(0); // clients really queued for PgBouncer's few servers

    const { serverPids, seenPids, leftovers } = await inspectThroughBouncer(url, bouncer.adminUrl);
    expect(serverPids.length).toBeGreaterThan(0);
    expect(serverPids.length).toBeLessThanOrEqual(SERVERS);
    expect(seenPids).toEqual(expect.arrayContaining(serverPids));
    expect(leftovers).toEqual([]);
  }, 90_000);

  it('when a client sets the tenant at session level through PgBouncer, then the inspection finds it on a server connection (control)', async () => {
    const dirty = new pg.Client({ connectionString: url });
    await dirty.connect();
    try {
      await dirty.query(`SELECT set_config('app.current_tenant_id', $1, false)`, [tenants[4]!.id]);
      const { leftovers } = await inspectThroughBouncer(url, bouncer.adminUrl);
      expect(leftovers).toEqual(
        expect.arrayContaining([expect.stringMatching(`app.current_tenant_id is still '${tenants[4]!.id}'`)]),
      );
    } finally {
      await dirty.query('RESET ALL').catch(() => undefined);
      await dirty.end();
    }
  });
});
