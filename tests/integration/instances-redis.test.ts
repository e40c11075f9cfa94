import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { redisServerBinary, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { logLines, type ServerProcess, startServerProcess } from '../support/server-process.js';

// Two real server processes (src/server.ts) sharing one PostgreSQL and one Redis of the test's
// own. Tokens come from the harness, whose signing key the processes share (same DATA_DIR).
const bin = redisServerBinary();
if (!bin && process.env.CI) throw new Error('redis-server is not installed; .ci/run installs it with apt');
if (!bin) console.warn('instances-redis: skipped, no redis-server installed (apt-get install redis-server)');

let h: Harness;
let redis: TestRedis;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  h = await createHarness();
  redis = await startTestRedis(bin!);
  const env = {
    DATABASE_URL: h.db.runtimeUrl,
    DATABASE_ADMIN_URL: h.db.adminUrl,
    DATABASE_PLATFORM_URL: h.db.platformUrl,
    DATA_DIR: h.db.dataDir,
    DB_POOL_SIZE: '4',
    DB_PLATFORM_POOL_SIZE: '2',
    PLATFORM_ADMIN_EMAIL: `ops-${randomBytes(4).toString('hex')}@platform.test`,
    PLATFORM_ADMIN_PASSWORD: 'platform-password-ops-1',
    REDIS_URL: redis.url,
    SHUTDOWN_DRAIN_MS: '0',
  };
  // One after the other: both would otherwise race to create the platform admin.
  servers.push(await startServerProcess(env));
  servers.push(await startServerProcess(env));
}, 240_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await redis?.kill();
  await h?.close();
});

const get = (server: ServerProcess, token: string, path = '/api/v1/students?limit=1') =>
  fetch(`${server.origin}${path}`, { headers: { authorization: `Bearer ${token}` } });

async function setLimit(server: ServerProcess, tenant: TestTenant, requestsPerMinute: number) {
  const res = await fetch(`${server.origin}/api/v1/tenants/${tenant.id}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${h.platformToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ limits: { requestsPerMinute } }),
  });
  expect(res.status).toBe(200);
}

/** `total` requests spread over both instances, `concurrency` at a time; statuses by instance. */
async function load(tenant: TestTenant, total: number, concurrency: number, during?: (sent: number) => Promise<void>) {
  const statuses: { server: number; status: number }[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      await during?.(i);
      const res = await get(servers[i % 2]!, tenant.token);
      await res.arrayBuffer();
      statuses.push({ server: i % 2, status: res.status });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

const metric = async (server: ServerProcess, name: string) => {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
};

describe.skipIf(!bin)('two instances and one Redis', () => {
  it('when both instances serve one tenant, then they share its budget (one counter in Redis)', async () => {
    const t = await h.createTenant();
    await setLimit(servers[0]!, t, 60);
    const statuses = await load(t, 120, 10);
    const ok = statuses.filter((s) => s.status === 200);
    const limited = statuses.filter((s) => s.status === 429);
    console.info(
      `instances-redis: budget 60, 120 requests over 2 instances → ${ok.length} × 200, ${limited.length} × 429`,
    );
    expect(ok.length + limited.length).toBe(120);
    expect(Math.abs(ok.length - 60)).toBeLessThanOrEqual(2);
    expect(new Set(ok.map((s) => s.server)).size).toBe(2);
    const keys = await redis.client().keys('tenantry:rl:*');
    expect(keys).toContain(`tenantry:rl:${t.id}`);
  }, 120_000);

  it('when a platform admin changes a limit on one instance, then the other applies it within a second', async () => {
    const t = await h.createTenant();
    for (const server of servers) expect((await get(server, t.token)).headers.get('ratelimit-limit')).toBe('600');
    const changed = performance.now();
    await setLimit(servers[0]!, t, 4321);
    let seenMs = Number.POSITIVE_INFINITY;
    while (performance.now() - changed < 3000) {
      const res = await get(servers[1]!, t.token);
      if (res.headers.get('ratelimit-limit') === '4321') {
        seenMs = performance.now() - changed;
        break;
      }
      await sleep(20);
    }
    console.info(`instances-redis: limit change seen by the other instance after ${Math.round(seenMs)} ms`);
    expect(seenMs).toBeLessThan(1000);
    expect((await get(servers[0]!, t.token)).headers.get('ratelimit-limit')).toBe('4321');
  }, 120_000);

  it('when Redis stops mid-run, then both instances keep serving from memory, log the outage once and recover', async () => {
    const t = await h.createTenant();
    await setLimit(servers[0]!, t, 5000);
    const statuses = await load(t, 300, 10, async (i) => {
      if (i === 100) await redis.kill();
    });
    const failed = statuses.filter((s) => s.status !== 200);
    console.info(`instances-redis: 300 requests, Redis killed after 100 → ${300 - failed.length} × 200`);
    expect(failed).toEqual([]);
    for (const server of servers) {
      expect(await metric(server, 'tenantry_rate_limit_degraded')).toBe(1);
      expect(await metric(server, 'tenantry_rate_limit_fallback_total')).toBeGreaterThan(0);
      const ready = await fetch(`${server.origin}/health/ready`);
      expect(ready.status).toBe(200);
      const { checks } = (await ready.json()) as { checks: Record<string, string> };
      expect(checks).toEqual({ shutdown: 'ok', database: 'ok', redis: 'degraded', migrations: 'ok' });
      const outages = logLines(server.output()).filter((l) => String(l.msg).startsWith('redis unavailable'));
      expect(outages).toHaveLength(1);
    }

    await redis.start();
    for (const server of servers) {
      const deadline = Date.now() + 10_000;
      while ((await metric(server, 'tenantry_rate_limit_degraded')) !== 0 && Date.now() < deadline) {
        await (await get(server, t.token)).arrayBuffer();
        await sleep(100);
      }
      expect(await metric(server, 'tenantry_rate_limit_degraded')).toBe(0);
      expect(logLines(server.output()).some((l) => String(l.msg).startsWith('redis available again'))).toBe(true);
    }
    // Shared again: the counter is back in Redis.
    await (await get(servers[1]!, t.token)).arrayBuffer();
    expect(Number(await redis.client().get(`tenantry:rl:${t.id}`))).toBeGreaterThan(0);
  }, 120_000);
});
