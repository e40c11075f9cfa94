import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttemptStore,
  attemptKey,
  blockMs,
  memoryAttemptStore,
  redisAttemptStore,
  withFallback,
} from '../../src/services/login-attempts.js';
import { createHashQueue } from '../../src/services/passwords.js';
import { redisServerBinary, startTestRedis, stopTestRedis, type TestRedis } from '../support/redis-server.js';

const bin = redisServerBinary();
if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run installs it)');

const policy = { threshold: 3, baseMs: 1000, capMs: 8000, windowMs: 60_000 };

let server: TestRedis;
let redis: Redis;
beforeAll(async () => {
  server = await startTestRedis(bin);
  redis = server.client();
});
afterAll(async () => {
  redis.disconnect();
  await stopTestRedis(server);
});

describe('backoff', () => {
  it('when failures pass the threshold, then blocks double from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((f) => blockMs(f, policy))).toEqual([
      0, 0, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });
});

describe.each([
  ['memory', () => memoryAttemptStore()],
  ['redis', () => redisAttemptStore(redis, `test:${Math.random()}:`)],
] as const)('%s attempt store', (_name, make: () => AttemptStore) => {
  it('when failures are counted, then the record blocks past the threshold, and reset clears it', async () => {
    const store = make();
    const key = attemptKey('account', `t-${Math.random()} someone@example.test`);
    const now = 1_000_000;
    expect(await store.get(key, now)).toBeNull();
    expect(await store.fail(key, now, policy)).toEqual({ failures: 1, blockedUntil: 0 });
    expect(await store.fail(key, now, policy)).toEqual({ failures: 2, blockedUntil: 0 });
    expect(await store.fail(key, now, policy)).toEqual({ failures: 3, blockedUntil: now + 1000 });
    expect(await store.fail(key, now + 1500, policy)).toEqual({ failures: 4, blockedUntil: now + 3500 });
    expect(await store.get(key, now + 1600)).toEqual({ failures: 4, blockedUntil: now + 3500 });
    await store.reset(key);
    expect(await store.get(key, now + 1700)).toBeNull();
  });
});

describe('redis attempt store', () => {
  it('when a key is written, then it carries an expiry and no email in clear', async () => {
    const store = redisAttemptStore(redis, 'probe:');
    const key = attemptKey('account', 'tenant-x person@example.test');
    await store.fail(key, Date.now(), policy);
    const keys = await redis.keys('probe:*');
    expect(keys).toEqual([`probe:${key}`]);
    expect(keys[0]).not.toContain('example');
    const ttl = await redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(policy.windowMs);
  });
});

describe('redis outage', () => {
  it('when Redis does not answer, then failures are counted in memory and still block', async () => {
    const dead = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    const errors: unknown[] = [];
    const store = withFallback(redisAttemptStore(dead), memoryAttemptStore(), (e) => errors.push(e));
    const key = attemptKey('address', '192.0.2.7');
    for (let i = 0; i < 3; i++) await store.fail(key, 5_000, policy);
    expect(await store.get(key, 5_100)).toEqual({ failures: 3, blockedUntil: 6_000 });
    expect(errors.length).toBeGreaterThan(0);
    dead.disconnect();
  });
});

describe('hash queue', () => {
  it('when the workers and the waiting room are full, then the next job is refused at once, and waiting jobs run in turn', async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaiting: 1 });
    const gates: Array<() => void> = [];
    const job = () => new Promise<string>((resolve) => gates.push(() => resolve('done')));
    const first = queue.run(job);
    const second = queue.run(job);
    await expect(queue.run(job)).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(queue.stats).toMatchObject({ running: 1, waiting: 1, refused: 1 });
    gates.shift()!();
    expect(await first).toBe('done');
    await new Promise((r) => setTimeout(r, 0));
    gates.shift()!();
    expect(await second).toBe('done');
    expect(queue.stats).toMatchObject({ running: 0, waiting: 0, completed: 2 });
  });
});
