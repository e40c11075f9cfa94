import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('a tenant named in the query string', () => {
  it.each(['tenantId', 'tenant_id', 'tenant'])(
    'when a read without a query schema carries %s, then 400 unknown field',
    async (param) => {
      const a = await h.createTenant();
      const b = await h.createTenant();
      for (const path of ['/api/v1/tenant', '/api/v1/me', `/api/v1/students/${crypto.randomUUID()}`]) {
        const res = await h.request('GET', `${path}?${param}=${b.id}`, { token: a.token });
        expect(res.status).toBe(400);
        const body = (await res.json()) as { code: string; errors: { path: string }[] };
        expect(body.code).toBe('validation_failed');
        expect(body.errors).toEqual([{ path: param, message: 'unknown field' }]);
      }
    },
  );

  it('when the platform admin filters events by tenantId, then it is allowed', async () => {
    const t = await h.createTenant();
    const res = await h.request('GET', `/api/v1/events?type=TenantCreated&tenantId=${t.id}`, {
      token: h.platformToken,
    });
    expect(res.status).toBe(200);
  });
});
