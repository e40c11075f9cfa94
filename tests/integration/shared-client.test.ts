import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { createStudent } from '../support/http-fixtures.js';
import { signal } from '../support/signal.js';

/**
 * One Prisma client serves every request transaction of a pool, each request's queries running
 * on its own connection (found through its async context). These prove the sharing cannot mix
 * requests up: lookups issued in the same tick by transactions of different tenants each run in
 * their own transaction, and a client reference that outlives its transaction reaches nothing.
 */
let h: Harness;
let a: TestTenant;
let b: TestTenant;
const students: Record<string, string> = {};

beforeAll(async () => {
  h = await createHarness();
  [a, b] = await Promise.all([h.createTenant(), h.createTenant()]);
  for (const t of [a, b]) students[t.id] = (await createStudent(h, t.token)).id;
});
afterAll(() => h.close());

describe('one Prisma client shared by concurrent transactions', () => {
  it("answers each tenant's lookup from its own transaction when they are issued in the same tick", async () => {
    const tenants = [a, b, a, b]; // fewer than the pool's connections: all are held at the barrier at once
    let arrived = 0;
    const { promise: barrier, resolve: release } = signal();
    const results = await Promise.all(
      tenants.map((t) =>
        h.runner.tenant({ tenantId: t.id, userId: null }, async ({ tx, tenantId }) => {
          if (++arrived === tenants.length) release();
          await barrier; // every transaction resumes in the same tick, then asks at once
          const [row, setting] = await Promise.all([
            tx.student.findUnique({ where: { tenantId_id: { tenantId, id: students[tenantId]! } } }),
            tx.$queryRaw<{ t: string }[]>`SELECT current_setting('app.current_tenant_id') AS t`,
          ]);
          return { tenantId, row, setting: setting[0]?.t };
        }),
      ),
    );
    for (const r of results) {
      expect(r.setting).toBe(r.tenantId);
      expect(r.row?.id).toBe(students[r.tenantId]);
    }
  });

  it('refuses a query through a client reference kept after its transaction ended', async () => {
    let kept: { findMany: () => Promise<unknown> } | undefined;
    let later: Promise<unknown> | undefined;
    await h.runner.tenant({ tenantId: a.id, userId: null }, async ({ tx }) => {
      kept = tx.student;
      // Scheduled from inside the transaction, run after it: same async context, no connection.
      later = new Promise((resolve) => setTimeout(resolve, 50)).then(() => tx.student.findMany());
    });
    await expect(later).rejects.toThrow();
    await expect(kept!.findMany()).rejects.toThrow(/outside a request transaction/);
  });
});
