import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_LIMITS } from '../../src/domain/tenant/plans.js';
import { createHarness, type Harness } from '../support/harness.js';
import { expectProblem, readJson } from '../support/http-fixtures.js';
import { recordStatements } from '../support/statement-recorder.js';
import { populatedTenant } from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

interface Counts {
  users: number;
  students: number;
  courses: number;
  enrollments: number;
}
interface Stats {
  data: (Counts & { tenantId: string; slug: string; status: string })[];
  nextCursor: string | null;
}

const statsPage = async (query = '') =>
  readJson<Stats>(await h.request('GET', `/api/v1/admin/stats${query}`, { token: h.platformToken }));

/** Every page of the stats, following the cursors. */
async function allStats(limit = 100): Promise<Stats['data']> {
  const rows: Stats['data'] = [];
  let cursor: string | null = null;
  do {
    const page: Stats = await statsPage(`?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

describe('tenant usage and platform stats', () => {
  it('when a tenant has users, students, courses and enrollments, then its usage counts them against its plan', async () => {
    const { tenant } = await populatedTenant(h, { students: 4 });
    const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/usage`, { token: h.platformToken });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tenantId: tenant.id,
      plan: 'premium',
      limits: PLAN_LIMITS.premium,
      features: { bulkCreate: true, export: true },
      usage: { users: 2, students: 5, courses: 2, enrollments: 1 },
      quotas: {
        maxUsers: { limit: 50, used: 2 },
        maxStudents: { limit: 10_000, used: 5 },
        maxCourses: { limit: 1_000, used: 2 },
        requestsPerMinute: { limit: 6_000, used: null },
        statementTimeoutMs: { limit: 10_000, used: null },
      },
    });
  });

  it('when a tenant has overrides, then usage shows the effective limits, overrides included', async () => {
    const tenant = await h.createTenant({ plan: 'custom' });
    const patch = await h.request('PATCH', `/api/v1/tenants/${tenant.id}`, {
      token: h.platformToken,
      body: { limits: { maxCourses: 3, statementTimeoutMs: 2_000 }, features: { export: true } },
    });
    expect(patch.status).toBe(200);
    const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/usage`, { token: h.platformToken });
    expect(await res.json()).toMatchObject({
      plan: 'custom',
      features: { bulkCreate: false, export: true },
      quotas: {
        maxUsers: { limit: PLAN_LIMITS.custom.maxUsers, used: 1 },
        maxCourses: { limit: 3, used: 0 },
        statementTimeoutMs: { limit: 2_000, used: null },
      },
    });
  });

  it('when a fresh tenant has only its admin, then its usage is one user and nothing else', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/usage`, { token: h.platformToken });
    expect(await res.json()).toMatchObject({
      plan: 'basic',
      usage: { users: 1, students: 0, courses: 0, enrollments: 0 },
    });
  });

  it('when the tenant does not exist, then usage is 404', async () => {
    const res = await h.request('GET', `/api/v1/tenants/${crypto.randomUUID()}/usage`, { token: h.platformToken });
    await expectProblem(res, 404, 'not_found');
  });

  it('when platform stats are read, then every tenant is listed with its own counts, every status included', async () => {
    const { tenant } = await populatedTenant(h, { students: 3 });
    const empty = await h.createTenant();
    await h.request('POST', `/api/v1/tenants/${empty.id}/suspend`, { token: h.platformToken });
    const gone = await h.createTenant();
    await h.request('DELETE', `/api/v1/tenants/${gone.id}`, { token: h.platformToken });
    const data = await allStats();
    expect(data.find((r) => r.tenantId === tenant.id)).toEqual({
      tenantId: tenant.id,
      slug: tenant.slug,
      status: 'active',
      users: 2,
      students: 4,
      courses: 2,
      enrollments: 1,
    });
    expect(data.find((r) => r.tenantId === empty.id)).toMatchObject({ status: 'suspended', users: 1, students: 0 });
    expect(data.find((r) => r.tenantId === gone.id)).toMatchObject({ status: 'deleted', users: 1 });
  });

  it('when stats are paged, then the pages follow the tenant ids without gap or repeat and match one big page', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 3; i++) mine.add((await h.createTenant()).id);
    const whole = await allStats(100);
    const paged = await allStats(2);
    // Other test files write to other tenants meanwhile: this test's own tenants must come out
    // the same, once each, and the pages must follow the ids without repeat.
    const own = (rows: typeof whole) => rows.filter((r) => mine.has(r.tenantId));
    expect(own(paged)).toHaveLength(3);
    expect(own(paged)).toEqual(own(whole));
    const ids = paged.map((r) => r.tenantId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const first = await statsPage('?limit=2');
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
  });

  it('when a page of stats is read, then all its counts come from one statement, whatever the page size', async () => {
    for (let i = 0; i < 3; i++) await h.createTenant();
    const countingStatements = async (limit: number) => {
      const recorder = recordStatements();
      try {
        const page = await statsPage(`?limit=${limit}`);
        expect(page.data.length).toBe(limit);
      } finally {
        recorder.stop();
      }
      return recorder.statements.filter(
        (s) => /\b(users|students|courses|enrollments)\b/i.test(s.text) && /count/i.test(s.text),
      );
    };
    expect(await countingStatements(1)).toHaveLength(1);
    expect(await countingStatements(3)).toHaveLength(1);
  });

  it('when the stats cursor or limit is not valid, then 400 and nothing is read', async () => {
    await expectProblem(
      await h.request('GET', '/api/v1/admin/stats?cursor=bm90LWEtdXVpZA', { token: h.platformToken }),
      400,
      'validation_failed',
    );
    await expectProblem(
      await h.request('GET', '/api/v1/admin/stats?limit=0', { token: h.platformToken }),
      400,
      'validation_failed',
    );
  });

  it('when a tenant user asks for usage or stats, then 403', async () => {
    const tenant = await h.createTenant();
    await expectProblem(
      await h.request('GET', `/api/v1/tenants/${tenant.id}/usage`, { token: tenant.token }),
      403,
      'forbidden',
    );
    await expectProblem(await h.request('GET', '/api/v1/admin/stats', { token: tenant.token }), 403, 'forbidden');
    await expectProblem(await h.request('GET', '/api/v1/admin/stats'), 401, 'unauthorized');
  });
});
