import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDb, startFaultDb } from '../support/fault-db.js';
import { createHarnessOn, type Harness, randomSlug } from '../support/harness.js';
import { createStudent, eventually, studentInput } from '../support/http-fixtures.js';
import { patchWhileLocked } from '../support/lock-wait.js';

// PostgreSQL goes away under the app and comes back. The cluster is this file's own, so
// stopping it disturbs no other test file.
let db: FaultDb;
let h: Harness;

interface Sample {
  phase: 'up' | 'down' | 'back';
  status: number;
  ms: number;
  code?: string;
  retryAfter: string | null;
}

const HANG_MS = 8000;

/** One request, timed; one left unanswered for HANG_MS counts as a hang (status 0), not a wait. */
async function timed(phase: Sample['phase'], call: () => Promise<Response>): Promise<Sample> {
  const started = performance.now();
  const res = await Promise.race([call(), sleep(HANG_MS).then(() => undefined)]);
  const ms = performance.now() - started;
  if (!res) return { phase, status: 0, ms, code: `no answer within ${HANG_MS} ms`, retryAfter: null };
  const code = res.status >= 400 ? ((await res.json()) as { code?: string }).code : undefined;
  return { phase, status: res.status, ms, code, retryAfter: res.headers.get('retry-after') };
}

beforeAll(async () => {
  db = await startFaultDb();
  h = await createHarnessOn(db, { poolSize: 5 });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await db?.destroy();
});

describe('PostgreSQL outage', () => {
  it('when PostgreSQL stops under load, then requests fail fast with 503 and the same app recovers by itself once it is back', async () => {
    const t = await h.createTenant({ plan: 'enterprise' }); // no quota or rate limit in the way
    const s = await createStudent(h, t.token);
    let phase: Sample['phase'] = 'up';
    let running = true;
    const samples: Sample[] = [];
    const worker = async (w: number) => {
      while (running) {
        const call =
          w % 2
            ? () => h.request('GET', `/api/v1/students/${s.id}`, { token: t.token })
            : () => h.request('POST', '/api/v1/students', { token: t.token, body: studentInput() });
        const sample = await timed(phase, call);
        samples.push(sample);
        if (sample.status === 503) await sleep(25);
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await sleep(500);
    phase = 'down';
    await db.stop();
    await sleep(2000);
    await db.start();
    phase = 'back';
    const backAt = samples.length;
    const recovered = () => {
      const tail = samples.slice(backAt).slice(-20);
      return tail.length === 20 && tail.every((x) => x.status < 300);
    };
    for (let waited = 0; !recovered() && waited < 15_000; waited += 100) await sleep(100);
    running = false;
    await load;

    const unexpected = samples.filter((x) => ![200, 201, 503].includes(x.status));
    expect(unexpected.map((x) => `${x.phase} ${x.status} ${x.code}`)).toEqual([]);
    expect(samples.filter((x) => x.phase === 'up' && x.status < 300).length).toBeGreaterThan(0);
    const refused = samples.filter((x) => x.status === 503);
    expect(samples.filter((x) => x.phase === 'down' && x.status === 503).length).toBeGreaterThan(0);
    for (const x of refused)
      expect({ code: x.code, retryAfter: Boolean(x.retryAfter) }).toEqual({
        code: 'service_unavailable',
        retryAfter: true,
      });
    expect(Math.max(...samples.map((x) => x.ms))).toBeLessThan(6000);
    expect(recovered()).toBe(true);
  }, 60_000);

  it('when tenant creations and bulk student creations are cut by killed sessions and by a stop, then each one is entirely there or entirely absent', async () => {
    const t = await h.createTenant({ plan: 'enterprise' });
    const prefix = randomSlug('half');
    const BULK = 200;
    const fire = async (k: number) => {
      if (k % 2) {
        const students = Array.from({ length: BULK }, (_, n) => studentInput({ studentNo: `${prefix}-b${k}-${n}` }));
        const res = await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students } });
        return { kind: 'bulk', key: `${prefix}-b${k}`, status: res.status };
      }
      const slug = `${prefix}-${k}`;
      const admin = { email: `admin@${slug}.test`, password: 'tenant-password-1', name: 'Admin' };
      const res = await h.request('POST', '/api/v1/tenants', {
        token: h.platformToken,
        body: { name: slug, slug, admin },
      });
      return { kind: 'tenant', key: slug, status: res.status };
    };
    // First the app's busy sessions — tenant creations run on the platform login, bulk
    // creations on the runtime login — are killed mid-transaction again and again (many cut
    // points), then the whole server stops.
    let cutting = true;
    const kill = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                   WHERE usename IN ('tenantry_app', 'tenantry_platform') AND state <> 'idle'`;
    const cutter = (async () => {
      while (cutting) await Promise.all([db.superQuery(kill).catch(() => undefined), sleep(5)]);
    })();
    const fired: Promise<{ kind: string; key: string; status: number }>[] = [];
    let stopping: Promise<void> | undefined;
    for (let k = 0; k < 80; k++) {
      fired.push(fire(k));
      if (k === 50) {
        cutting = false;
        await cutter;
        stopping = db.stop();
      }
      await sleep(15);
    }
    const results = await Promise.all(fired);
    await stopping;
    await db.start();

    expect(results.filter((r) => r.status !== 201 && r.status !== 503)).toEqual([]);
    expect(results.some((r) => r.status === 201) && results.some((r) => r.status === 503)).toBe(true);
    const tenants = await db.superQuery<{ slug: string; settings: number; admins: number; events: number }>(
      `SELECT t.slug,
              (SELECT count(*)::int FROM tenant_settings s WHERE s.tenant_id = t.id) AS settings,
              (SELECT count(*)::int FROM users u WHERE u.tenant_id = t.id AND u.role = 'tenant_admin') AS admins,
              (SELECT count(*)::int FROM domain_events e WHERE e.tenant_id = t.id AND e.type = 'TenantCreated') AS events
         FROM tenants t WHERE t.slug LIKE $1`,
      [`${prefix}-%`],
    );
    for (const row of tenants) expect(row).toEqual({ slug: row.slug, settings: 1, admins: 1, events: 1 });
    const batches = await db.superQuery<{ key: string; n: number }>(
      `SELECT substring(student_no from '^(.*-b[0-9]+)-') AS key, count(*)::int AS n
         FROM students WHERE tenant_id = $1 AND student_no LIKE $2 GROUP BY 1`,
      [t.id, `${prefix}-b%`],
    );
    for (const b of batches) expect(b).toEqual({ key: b.key, n: BULK });
    const present = new Set([...tenants.map((r) => r.slug), ...batches.map((b) => b.key)]);
    expect(results.filter((r) => r.status === 201 && !present.has(r.key))).toEqual([]);
  }, 60_000);
});

describe('statement timeout', () => {
  it('when an UPDATE waits on a row lock longer than the statement timeout, then the API answers 503 within about a second and succeeds once the lock is gone', async () => {
    const slow = await createHarnessOn(db, { poolSize: 2, statementTimeoutMs: 500 });
    try {
      const t = await h.createTenant({ plan: 'enterprise' });
      const s = await createStudent(h, t.token);
      const wait = await patchWhileLocked(slow, db.superUrl, t, s.id);
      expect(wait).toMatchObject({ status: 503, code: 'service_unavailable', readWhileLocked: 200, afterUnlock: 200 });
      expect(wait.ms).toBeLessThan(2000);
    } finally {
      await slow.close();
    }
  });
});

describe('outbox across a restart', () => {
  it('when PostgreSQL restarts before the outbox runs, then a drain afterwards writes the TenantCreated subscriber’s audit entry exactly once', async () => {
    const t = await h.createTenant(); // the dispatcher is never started here: the event stays pending
    const audit = () =>
      db.superQuery<{ id: string }>(`SELECT id FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.provisioned'`, [
        t.id,
      ]);
    expect(await audit()).toEqual([]);
    await db.stop();
    await expect(h.dispatcher.drain()).rejects.toMatchObject({ code: 'service_unavailable' });
    await db.start();
    await eventually(async () => void (await h.dispatcher.drain()), 10_000);
    await h.dispatcher.drain();

    const [event] = await db.superQuery<{ id: string; dispatched: boolean }>(
      `SELECT id, dispatched_at IS NOT NULL AS dispatched FROM domain_events WHERE tenant_id = $1 AND type = 'TenantCreated'`,
      [t.id],
    );
    expect(event?.dispatched).toBe(true);
    expect(await audit()).toEqual([{ id: event!.id }]);
    // And so for every tenant this file created, including those cut by the earlier stop.
    const undelivered = await db.superQuery(
      `SELECT e.id FROM domain_events e WHERE e.type = 'TenantCreated'
          AND (e.dispatched_at IS NULL OR (SELECT count(*) FROM audit_log a WHERE a.tenant_id = e.tenant_id AND a.id = e.id) <> 1)`,
    );
    expect(undelivered).toEqual([]);
  }, 30_000);
});
