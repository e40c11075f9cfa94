import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('per-tenant rate limits', () => {
  it('when a tenant exceeds its plan’s requests per minute, then 429 rate_limited with Retry-After, and other tenants are unaffected', async () => {
    const limited = await h.createTenant();
    const other = await h.createTenant();
    const patch = await h.request('PATCH', `/api/v1/tenants/${limited.id}`, {
      token: h.platformToken,
      body: { limits: { requestsPerMinute: 3 } },
    });
    expect(patch.status).toBe(200);

    const statuses: number[] = [];
    const responses: Response[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.request('GET', '/api/v1/students', { token: limited.token });
      statuses.push(res.status);
      responses.push(res);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const last = responses[4]!;
    expect(last.headers.get('content-type')).toContain('application/problem+json');
    expect(((await last.json()) as { code: string }).code).toBe('rate_limited');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last.headers.get('ratelimit-limit')).toBe('3');
    expect(last.headers.get('ratelimit-remaining')).toBe('0');

    const ok = await h.request('GET', '/api/v1/students', { token: other.token });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-limit')).toBe('600');
    expect(Number(ok.headers.get('ratelimit-remaining'))).toBeLessThan(600);
  });

  it('when a rate-limited request carries a write, then nothing is written', async () => {
    const t = await h.createTenant();
    await h.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: h.platformToken,
      body: { limits: { requestsPerMinute: 1 } },
    });
    expect((await h.request('GET', '/api/v1/students', { token: t.token })).status).toBe(200);
    const refused = await h.request('POST', '/api/v1/students', {
      token: t.token,
      body: { studentNo: 'RL-1', firstName: 'Rate', lastName: 'Limited' },
    });
    expect(refused.status).toBe(429);
    const count = await h.runner.tenant({ tenantId: t.id, userId: null }, ({ tx }) =>
      tx.student.count({ where: { tenantId: t.id } }),
    );
    expect(count).toBe(0);
  });
});

describe('metrics', () => {
  it('when requests were served, then /metrics exposes counters by route template, not by raw path', async () => {
    const t = await h.createTenant();
    await h.request('GET', `/api/v1/students/${crypto.randomUUID()}`, { token: t.token });
    const res = await h.request('GET', '/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /tenantry_http_requests_total\{method="GET",route="\/api\/v1\/students\/:id",status="404"\} \d+/,
    );
    expect(text).not.toMatch(/route="\/api\/v1\/students\/[0-9a-f]{8}-/);
  });
});
