import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { inspectPool } from '../support/pool-inspection.js';

// Many tenants, more requests in flight than pooled connections: every transaction reuses a
// connection another tenant just had. A tenant setting that survived its transaction would
// show up here as a foreign row or as a leftover setting on a pooled connection.
const POOL_SIZE = 4;
const TENANTS = 22;
const REQUESTS = 520;
const IN_FLIGHT = 32;

interface Student {
  id: string;
  studentNo: string;
  firstName: string;
}
interface Seen {
  tenant: number;
  op: string;
  status: number;
  students: Student[];
}
type Op = 'list' | 'get' | 'create' | 'patch' | 'foreign' | 'duplicate';

let h: Harness;
let tenants: TestTenant[];
const owner = new Map<string, number>();
const idsOf: string[][] = [];

/** Deterministic, so a failure can be replayed with the same interleaving of operations. */
function prng(seed: number) {
  let a = seed >>> 0;
  return (n: number) => {
    // mulberry32: the low bits of a plain LCG would correlate tenant and operation choices.
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

async function createStudent(t: number, n: number): Promise<Response> {
  const res = await h.request('POST', '/api/v1/students', {
    token: tenants[t]!.token,
    body: { studentNo: `${tenants[t]!.slug}-${n}`, firstName: `F-${tenants[t]!.slug}`, lastName: 'Pool' },
  });
  if (res.status === 201) {
    const s = (await res.clone().json()) as Student;
    owner.set(s.id, t);
    idsOf[t]!.push(s.id);
  }
  return res;
}

beforeAll(async () => {
  h = await createHarness({ poolSize: POOL_SIZE });
  // Fixtures no wider than the pool: setup is not what is under test, and must not time out
  // waiting for a connection on a busy machine.
  tenants = [];
  while (tenants.length < TENANTS) {
    const batch = Math.min(POOL_SIZE, TENANTS - tenants.length);
    tenants.push(...(await Promise.all(Array.from({ length: batch }, () => h.createTenant()))));
  }
  for (let t = 0; t < TENANTS; t++) idsOf.push([]);
  for (let t = 0; t < TENANTS; t += POOL_SIZE) {
    const batch = tenants.slice(t, t + POOL_SIZE).map((_, k) => t + k);
    await Promise.all(
      batch.map(async (tt) => {
        for (const n of [0, 1]) expect((await createStudent(tt, n)).status).toBe(201);
      }),
    );
  }
}, 120_000);
afterAll(() => h.close());

describe('pool safety under interleaved tenants', () => {
  it('when 500+ requests from 20+ tenants share a smaller pool, then each response holds only its own tenant’s rows and no connection keeps a tenant setting', async () => {
    const rand = prng(0x7e5a17);
    const seeded = idsOf.map((ids) => [...ids]);
    const ops: Op[] = ['list', 'list', 'list', 'get', 'get', 'create', 'patch', 'patch', 'foreign', 'duplicate'];
    const plan = Array.from({ length: REQUESTS }, (_, i) => ({
      i,
      t: rand(TENANTS),
      op: ops[rand(ops.length)]!,
      pickAt: rand(1 << 30),
      otherAt: rand(TENANTS - 1),
    }));
    const seen: Seen[] = [];
    const unexpected: string[] = [];
    let maxWaiting = 0;
    let retried = 0;
    let next = 0;

    const send = async ({ i, t, op, pickAt, otherAt }: (typeof plan)[number]): Promise<[Response, number]> => {
      const token = tenants[t]!.token;
      const mine = idsOf[t]!;
      const pick = mine[pickAt % mine.length]!;
      if (op === 'list') return [await h.request('GET', '/api/v1/students?limit=100', { token }), 200];
      if (op === 'get') return [await h.request('GET', `/api/v1/students/${pick}`, { token }), 200];
      if (op === 'create') return [await createStudent(t, 1000 + i), 201];
      if (op === 'patch') {
        const body = { firstName: `F-${tenants[t]!.slug}-${i}` };
        return [await h.request('PATCH', `/api/v1/students/${pick}`, { token, body }), 200];
      }
      if (op === 'foreign') {
        const other = idsOf[(t + 1 + otherAt) % TENANTS]!;
        return [await h.request('GET', `/api/v1/students/${other[0]}`, { token }), 404];
      }
      return [await createStudent(t, 0), 409];
    };
    const run = async (item: (typeof plan)[number]) => {
      let [res, expected] = await send(item);
      // On an overloaded machine the pool wait can time out (503, nothing started): retry like a
      // client would. Isolation, not throughput, is under test here.
      for (let retry = 0; res.status === 503 && retry < 5; retry++) {
        retried++;
        await new Promise((r) => setTimeout(r, 100 * (retry + 1)));
        [res, expected] = await send(item);
      }
      const { i, t, op } = item;
      if (res.status !== expected) unexpected.push(`#${i} ${op} tenant ${t}: ${res.status} ${await res.text()}`);
      else if (expected < 300) {
        const body = (await res.json()) as Student | { data: Student[] };
        seen.push({ tenant: t, op, status: res.status, students: 'data' in body ? body.data : [body] });
      }
    };
    const worker = async () => {
      while (next < plan.length) {
        const item = plan[next++]!;
        maxWaiting = Math.max(maxWaiting, h.clients.pool.waitingCount);
        await run(item);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    expect(unexpected).toEqual([]);
    expect(retried).toBeLessThan(REQUESTS / 2);
    expect(seen.length).toBeGreaterThan(REQUESTS * 0.6);
    expect(maxWaiting).toBeGreaterThan(0); // the pool really was the bottleneck
    const foreign: string[] = [];
    for (const s of seen) {
      for (const st of s.students) {
        const slug = tenants[s.tenant]!.slug;
        if (
          owner.get(st.id) !== s.tenant ||
          !st.studentNo.startsWith(`${slug}-`) ||
          !st.firstName.startsWith(`F-${slug}`)
        ) {
          foreign.push(`${s.op} by tenant ${s.tenant} saw ${st.id} (${st.studentNo}, owner ${owner.get(st.id)})`);
        }
      }
    }
    expect(foreign).toEqual([]);
    // Complete as well as clean: every list holds the tenant's seeded students (an empty
    // answer would pass the check above).
    const lists = seen.filter((s) => s.op === 'list');
    expect(new Set(lists.map((s) => s.tenant)).size).toBeGreaterThanOrEqual(TENANTS - 2);
    const incomplete = lists.filter((s) => seeded[s.tenant]!.some((id) => !s.students.some((st) => st.id === id)));
    expect(incomplete.map((s) => `tenant ${s.tenant} list missed a seeded student`)).toEqual([]);

    // Every pooled connection, right after the run: the same ones the requests used, none new.
    expect(h.clients.pool.totalCount).toBe(POOL_SIZE);
    const { states, leftovers } = await inspectPool(h.clients.pool, POOL_SIZE);
    expect(h.clients.pool.totalCount).toBe(POOL_SIZE);
    expect(new Set(states.map((s) => s.pid)).size).toBe(POOL_SIZE);
    expect(leftovers).toEqual([]);
  }, 120_000);

  it('when connections are deliberately left with a session-level tenant or role, then the pool inspection reports them', async () => {
    // The runtime login is a member of no role it could switch to; give it a harmless one (no
    // policy names it, so it sees no tenant rows; it owns nothing: the self-check has nothing
    // to object to). It may read students so that the inspection's row count runs.
    const probe = `pool_probe_${randomBytes(4).toString('hex')}`;
    const su = new pg.Client({ connectionString: h.db.superUrl });
    await su.connect();
    // One statement at a time (Citus refuses role DDL after a distributed GRANT in one
    // transaction); on Citus the workers log in as the role chosen with SET ROLE, so it must
    // be able to log in there (the test cluster trusts loopback).
    await su.query(`CREATE ROLE ${probe} ${h.db.citus ? 'LOGIN' : 'NOLOGIN'}`);
    await su.query(`GRANT ${probe} TO tenantry_app`);
    await su.query(`GRANT SELECT ON students TO ${probe}`);
    const dirty = new pg.Pool({ connectionString: h.db.runtimeUrl, max: 2 });
    try {
      const [one, two] = await Promise.all([dirty.connect(), dirty.connect()]);
      await one.query(`SELECT set_config('app.current_tenant_id', $1, false)`, [tenants[0]!.id]);
      await two.query(`SET ROLE ${probe}`);
      one.release();
      two.release();
      const { leftovers } = await inspectPool(dirty, 2);
      expect(leftovers).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`app.current_tenant_id is still '${tenants[0]!.id}'`)),
          expect.stringMatching(new RegExp(`runs as ${probe} \\(session tenantry_app\\)`)),
          // On Citus set_config never reaches the workers, so the leftover tenant shows no rows there.
          ...(h.db.citus ? [] : [expect.stringMatching(/sees \d+ students with no tenant set/)]),
        ]),
      );
    } finally {
      await dirty.end();
      await su.query(`REVOKE ALL ON students FROM ${probe}`);
      await su.query(`DROP ROLE ${probe}`);
      await su.end();
    }
  });
});
