import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { expectProblem, readJson } from '../support/http-fixtures.js';
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
  totals: Counts & { tenants: number };
}

const stats = async () => readJson<Stats>(await h.request('GET', '/api/v1/admin/stats', { token: h.platformToken }));

describe('tenant usage and platform stats', () => {
  it('when a tenant has users, students, courses and enrollments, then its usage counts them against its plan', async () => {
    const { tenant } = await populatedTenant(h, { students: 4 });
    const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/usage`, { token: h.platformToken });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tenantId: tenant.id,
      plan: 'standard',
      limits: { maxUsers: 50, maxStudents: 10_000, requestsPerMinute: 6_000 },
      usage: { users: 2, students: 5, courses: 2, enrollments: 1 },
    });
  });

  it('when a fresh tenant has only its admin, then its usage is one user and nothing else', async () => {
    const tenant = await h.createTenant();
    const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/usage`, { token: h.platformToken });
    expect(await res.json()).toMatchObject({
      plan: 'free',
      usage: { users: 1, students: 0, courses: 0, enrollments: 0 },
    });
  });

  it('when the tenant does not exist, then usage is 404', async () => {
    const res = await h.request('GET', `/api/v1/tenants/${crypto.randomUUID()}/usage`, { token: h.platformToken });
    await expectProblem(res, 404, 'not_found');
  });

  it('when platform stats are read, then every tenant is listed with its own counts and the totals add up', async () => {
    const { tenant } = await populatedTenant(h, { students: 3 });
    const empty = await h.createTenant();
    await h.request('POST', `/api/v1/tenants/${empty.id}/suspend`, { token: h.platformToken });
    const body = await stats();
    expect(body.data.find((r) => r.tenantId === tenant.id)).toEqual({
      tenantId: tenant.id,
      slug: tenant.slug,
      status: 'active',
      users: 2,
      students: 4,
      courses: 2,
      enrollments: 1,
    });
    expect(body.data.find((r) => r.tenantId === empty.id)).toMatchObject({
      status: 'suspended',
      users: 1,
      students: 0,
    });
    const sum = (k: keyof Counts) => body.data.reduce((n, r) => n + r[k], 0);
    expect(body.totals).toEqual({
      tenants: body.data.length,
      users: sum('users'),
      students: sum('students'),
      courses: sum('courses'),
      enrollments: sum('enrollments'),
    });
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
