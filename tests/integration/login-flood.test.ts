import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { expectProblem } from '../support/http-fixtures.js';

// Small thresholds and short blocks so the windows pass within a test.
const env = {
  LOGIN_ACCOUNT_MAX_FAILURES: 3,
  LOGIN_ADDRESS_MAX_FAILURES: 6,
  LOGIN_BACKOFF_BASE_MS: 600,
  LOGIN_BACKOFF_MAX_SECONDS: 1,
};

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ env, logger: pino({ level: 'warn' }, sink) });
});
afterAll(() => h.close());

let n = 0;
/** Each test speaks from its own client addresses. */
const address = () => `198.51.100.${++n}`;
const login = (from: string, body: Record<string, string>) =>
  h.request('POST', '/api/v1/auth/login', { body, headers: { 'x-forwarded-for': from } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('login flood protection', () => {
  it('when one account fails past the threshold, then 429 with Retry-After even for the right password, and after the block the right password signs in', async () => {
    const t = await h.createTenant();
    const wrong = { tenant: t.slug, email: t.adminEmail, password: 'wrong-password-1' };
    // From several addresses, so only the account's count can trip.
    for (let i = 0; i < 3; i++) await expectProblem(await login(address(), wrong), 401, 'unauthorized');
    const refused = await login(address(), { ...wrong, password: t.adminPassword });
    await expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another account of the same tenant is untouched.
    const other = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: t.slug, email: `nobody@${t.slug}.test`, password: 'x' },
      headers: { 'x-forwarded-for': address() },
    });
    expect(other.status).toBe(401);
    await sleep(1100);
    const ok = await login(address(), { ...wrong, password: t.adminPassword });
    expect(ok.status).toBe(200);
    // Success cleared the count: one more failure is a plain 401 again.
    expect((await login(address(), wrong)).status).toBe(401);
  });

  it('when one address fails past its threshold on many accounts, then that address gets 429 and another address does not', async () => {
    const t = await h.createTenant();
    const from = address();
    for (let i = 0; i < 6; i++) {
      const res = await login(from, { tenant: t.slug, email: `u${i}@${t.slug}.test`, password: 'wrong-password-1' });
      expect(res.status).toBe(401);
    }
    const blocked = await login(from, { tenant: t.slug, email: t.adminEmail, password: t.adminPassword });
    await expectProblem(blocked, 429, 'rate_limited');
    expect(blocked.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect((await login(address(), { tenant: t.slug, email: t.adminEmail, password: t.adminPassword })).status).toBe(
      200,
    );
    await sleep(1100);
    expect((await login(from, { tenant: t.slug, email: t.adminEmail, password: t.adminPassword })).status).toBe(200);
  });

  it('when the platform login is flooded, then it is throttled the same way', async () => {
    const wrong = { email: h.platformEmail, password: 'wrong-password-1' };
    const platformLogin = (from: string, body: Record<string, string>) =>
      h.request('POST', '/api/v1/auth/platform/login', { body, headers: { 'x-forwarded-for': from } });
    for (let i = 0; i < 3; i++) expect((await platformLogin(address(), wrong)).status).toBe(401);
    await expectProblem(
      await platformLogin(address(), { ...wrong, password: 'platform-password-1' }),
      429,
      'rate_limited',
    );
    await sleep(1100);
    expect((await platformLogin(address(), { ...wrong, password: 'platform-password-1' })).status).toBe(200);
  });

  it('when a login fails, then the log names tenant, email hash, address and reason — never the email — and /metrics counts it', async () => {
    const t = await h.createTenant();
    const from = address();
    lines.length = 0;
    await login(from, { tenant: t.slug, email: `ghost@${t.slug}.test`, password: 'wrong-password-1' });
    await login(from, { tenant: t.slug, email: t.adminEmail, password: 'wrong-password-1' });
    const failed = lines.filter((l) => l.msg === 'login failed').map((l) => l.login as Record<string, string>);
    expect(failed.map((f) => f.reason)).toEqual(['unknown_user', 'bad_password']);
    for (const f of failed) {
      expect(f).toMatchObject({
        tenant: t.slug,
        clientAddress: from,
        emailHash: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    }
    expect(JSON.stringify(lines)).not.toContain(t.adminEmail);
    const metrics = await (await h.request('GET', '/metrics')).text();
    expect(metrics).toMatch(/tenantry_login_failure_reasons_total\{reason="bad_password"\} [1-9]/);
    expect(metrics).toMatch(/tenantry_login_failure_reasons_total\{reason="unknown_user"\} [1-9]/);
  });
});

describe('bounded hashing queue', () => {
  it('when more logins arrive than the queue holds, then the excess is refused at once with 503 and Retry-After, the rest answered', async () => {
    const q = await createHarness({ env: { PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 1 } });
    try {
      const t = await q.createTenant();
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          q.request('POST', '/api/v1/auth/login', {
            body: { tenant: t.slug, email: `u${i}@${t.slug}.test`, password: 'wrong-password-1' },
            headers: { 'x-forwarded-for': `203.0.113.${i}` },
          }),
        ),
      );
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 503 || s === 401)).toBe(true);
      const busy = answers.find((r) => r.status === 503)!;
      await expectProblem(busy, 503, 'service_unavailable');
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(q.services.passwords.queue.stats).toMatchObject({ running: 0, waiting: 0 });
      expect(q.services.passwords.queue.stats.refused).toBe(statuses.filter((s) => s === 503).length);
      // Once the burst is over, a login goes through.
      const ok = await q.request('POST', '/api/v1/auth/login', {
        body: { tenant: t.slug, email: t.adminEmail, password: t.adminPassword },
      });
      expect(ok.status).toBe(200);
    } finally {
      await q.close();
    }
  });
});

describe('timing', () => {
  it('when the user does not exist, then the login takes about as long as a wrong password for one that does', async () => {
    const t = await h.createTenant({ plan: 'enterprise' });
    const time = async (email: string) => {
      const started = performance.now();
      const res = await login(address(), { tenant: t.slug, email, password: 'wrong-password-1' });
      expect(res.status).toBe(401);
      return performance.now() - started;
    };
    const unknown: number[] = [];
    const known: number[] = [];
    // Interleaved, each account failing at most twice (under its threshold).
    for (let i = 0; i < 12; i++) {
      unknown.push(await time(`ghost-${i}@${t.slug}.test`));
      const u = await h.request('POST', '/api/v1/users', {
        token: t.token,
        body: { email: `real-${i}@${t.slug}.test`, name: 'Real', password: 'a-long-password-1', role: 'viewer' },
      });
      expect(u.status).toBe(201);
      known.push(await time(`real-${i}@${t.slug}.test`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(unknown) / median(known);
    // Loose: both pay one argon2 verification; without the dummy one unknown users answer ~10× faster.
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
