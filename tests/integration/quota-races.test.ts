import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { asTenant, eventually, readJson, studentInput } from '../support/http-fixtures.js';
import { signal } from '../support/signal.js';

/** Invariant 11: a quota is checked and consumed under a lock, so concurrency cannot overshoot it. */

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ poolSize: 8 });
});
afterAll(() => h.close());

async function limited(limits: Record<string, number>): Promise<TestTenant> {
  const t = await h.createTenant({ plan: 'premium' });
  const res = await h.request('PATCH', `/api/v1/tenants/${t.id}`, { token: h.platformToken, body: { limits } });
  expect(res.status).toBe(200);
  return t;
}

const countOf = (t: TestTenant, table: 'student' | 'user') =>
  asTenant(h, t, (tx) =>
    table === 'student'
      ? tx.student.count({ where: { tenantId: t.id } })
      : tx.user.count({ where: { tenantId: t.id } }),
  );

/** Sessions of this database blocked on a lock inside app.lock_quota (the runtime role sees its own). */
async function waitingOnQuotaLock(): Promise<number> {
  // On Citus the row lock is waited for on a worker, under the shard's statement: Citus's
  // cluster-wide view of lock waits names the coordinator's statement that waits.
  const { rows } = await h.clients.pool.query<{ n: number }>(
    h.db.citus
      ? `SELECT count(*)::int AS n FROM citus_lock_waits WHERE blocked_statement LIKE '%lock_quota%'`
      : `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%lock_quota%'`,
  );
  return rows[0]!.n;
}

async function codes(responses: Response[]) {
  const out: Record<string, number> = {};
  for (const res of responses) {
    const key = res.status < 300 ? String(res.status) : `${res.status} ${(await readJson<{ code: string }>(res)).code}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describe('quotas under concurrency', () => {
  it('when 50 students are created at once against a limit of 10, then exactly 10 are stored and 40 get 403 quota_exceeded', async () => {
    const t = await limited({ maxStudents: 10 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => h.request('POST', '/api/v1/students', { token: t.token, body: studentInput() })),
    );
    expect(await codes(responses)).toEqual({ 201: 10, '403 quota_exceeded': 40 });
    expect(await countOf(t, 'student')).toBe(10);
  });

  it('when 10 bulk creates of 10 race against a limit of 10, then at most 10 students are stored, all from whole batches', async () => {
    const t = await limited({ maxStudents: 10 });
    const batch = () => ({ students: Array.from({ length: 10 }, () => studentInput()) });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => h.request('POST', '/api/v1/students/bulk', { token: t.token, body: batch() })),
    );
    expect(await codes(responses)).toEqual({ 201: 1, '403 quota_exceeded': 9 });
    expect(await countOf(t, 'student')).toBe(10);
  });

  it('when 20 users are added at once against a limit of 10 (one admin already), then exactly 9 are added', async () => {
    const t = await limited({ maxUsers: 10 });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.request('POST', '/api/v1/users', {
          token: t.token,
          body: { email: `race-${i}@${t.slug}.test`, name: `Racer ${i}`, password: 'race-password-1', role: 'viewer' },
        }),
      ),
    );
    expect(await codes(responses)).toEqual({ 201: 9, '403 quota_exceeded': 11 });
    expect(await countOf(t, 'user')).toBe(10);
  });

  it("when one tenant's quota lock is held, then another tenant creates at once while the holder's own creates wait", async () => {
    const a = await limited({ maxStudents: 100 });
    const b = await limited({ maxStudents: 100 });
    const { promise: released, resolve: release } = signal();
    const { promise: isLocked, resolve: locked } = signal();
    const holder = h.runner.tenant({ tenantId: a.id, userId: null }, async ({ tx }) => {
      await tx.$queryRaw`SELECT used FROM app.lock_quota(${a.id}::uuid, 'students')`;
      locked();
      await released;
    });
    await isLocked;

    const aCreate = h.request('POST', '/api/v1/students', { token: a.token, body: studentInput() });
    // A's own create queues on the lock (it would otherwise finish without waiting)...
    await eventually(async () => expect(await waitingOnQuotaLock()).toBe(1));
    // ...while B, another tenant, is not held up at all (were it, this would wait forever).
    const bCreate = await h.request('POST', '/api/v1/students', { token: b.token, body: studentInput() });
    expect(bCreate.status).toBe(201);
    expect(await waitingOnQuotaLock()).toBe(1);

    release();
    await holder;
    expect((await aCreate).status).toBe(201);
  });
});
