import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citusInstalled, DistributionRefused, distributeSchema } from '../../src/db/distribute.js';
import { isolateTenant } from '../../src/db/isolate.js';
import { createHarness, type Harness } from '../support/harness.js';
import { createStudent, type PageBody, readJson, type StudentBody } from '../support/http-fixtures.js';
import { withPlacementLock } from '../support/placement-lock.js';

// The same file runs on plain PostgreSQL (CI) and on a Citus coordinator (TEST_DATABASE_ADMIN_URL
// pointing at one): each test asserts what holds where it runs.
let h: Harness;
let onCitus = false;
beforeAll(async () => {
  h = await createHarness();
  const client = new pg.Client({ connectionString: h.db.adminUrl });
  await client.connect();
  onCitus = await citusInstalled(client);
  await client.end();
});
afterAll(() => h?.close());

describe('distribution commands', () => {
  it('when db:distribute runs, then on Citus it finds everything in place (idempotent), and on one node it refuses, naming the missing extension', async () => {
    if (onCitus) {
      const again = await distributeSchema(h.db.adminUrl);
      expect(again.distributed).toEqual([]);
      expect(again.reference).toEqual([]);
      expect(again.alreadyDone).toEqual(
        expect.arrayContaining(['tenants', 'students', 'enrollments', 'domain_events']),
      );
      // The platform outbox has no tenant_id and no tenant table refers to it: it stays a plain
      // table on the coordinator, where the platform plane claims it.
      const client = new pg.Client({ connectionString: h.db.adminUrl });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'public.platform_events'::regclass`,
        );
        expect(rows).toEqual([]);
      } finally {
        await client.end();
      }
    } else {
      await expect(distributeSchema(h.db.adminUrl)).rejects.toThrow(DistributionRefused);
      await expect(distributeSchema(h.db.adminUrl)).rejects.toThrow(/citus extension is not installed/);
    }
  });

  it('when a tenant is isolated, then on Citus it keeps answering during and after the move to shards of its own, and on one node the command refuses', async () => {
    const t = await h.createTenant({ plan: 'premium' });
    const other = await h.createTenant();
    const before = await createStudent(h, t.token);
    if (!onCitus) {
      await expect(isolateTenant(h.db.adminUrl, t.id)).rejects.toThrow(/citus extension is not installed/);
      await expect(isolateTenant(h.db.adminUrl, 'not-a-uuid')).rejects.toThrow(DistributionRefused);
      return;
    }
    // Traffic for the tenant (reads and writes) and for another one while the move runs.
    let moving = true;
    const statuses: number[] = [];
    const created: string[] = [];
    const traffic = (async () => {
      while (moving) {
        const write = await h.request('POST', '/api/v1/students', {
          token: t.token,
          body: { studentNo: `M-${created.length}-${Date.now()}`, firstName: 'Moving', lastName: 'Tenant' },
        });
        statuses.push(write.status);
        if (write.status === 201) created.push((await readJson<StudentBody>(write)).id);
        statuses.push((await h.request('GET', `/api/v1/students/${before.id}`, { token: t.token })).status);
        statuses.push((await h.request('GET', '/api/v1/students', { token: other.token })).status);
      }
    })();
    const result = await withPlacementLock(h.db.adminUrl, 'exclusive', () =>
      isolateTenant(h.db.adminUrl, t.id).finally(() => {
        moving = false;
      }),
    );
    await traffic;
    expect(result).toMatchObject({ tenantId: t.id, moved: true });
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s >= 300)).toEqual([]);
    // After: a second run finds it alone, and every row written during the move is there.
    expect(await isolateTenant(h.db.adminUrl, t.id)).toMatchObject({ moved: false, shardId: result.shardId });
    const after = await createStudent(h, t.token);
    const listed: string[] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page: PageBody<StudentBody> = await readJson<PageBody<StudentBody>>(
        await h.request('GET', `/api/v1/students?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token: t.token }),
      );
      listed.push(...page.data.map((s) => s.id));
      cursor = page.nextCursor;
    }
    expect(listed.sort()).toEqual([before.id, ...created, after.id].sort());
    const foreign = await h.request('GET', `/api/v1/students/${after.id}`, { token: other.token });
    expect(foreign.status).toBe(404);
  });
});
