import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { TenantRunner } from '../../src/db/context.js';
import { createTenantProfiles } from '../../src/services/tenant-profiles.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';

let h: Harness;
let t: TestTenant;
let counted: ReturnType<typeof createApp>;
const calls = { tenant: 0, platform: 0 };

beforeAll(async () => {
  h = await createHarness();
  t = await h.createTenant();
  const real = h.runner;
  const tenantDb: TenantRunner = {
    tenant: (context, fn) => {
      calls.tenant++;
      return real.tenant(context, fn);
    },
  };
  // The tenant request path holds no platform runner at all: nothing to count there.
  const tenantProfiles = createTenantProfiles({ tenantDb });
  counted = createApp({ services: { ...h.services, tenantDb, tenantProfiles }, logger: pino({ level: 'silent' }) });
  // The first request of a tenant also reads its profile (slug, limits) once; later ones use the cache.
  const warm = await counted.request('/api/v1/tenant', { headers: { authorization: `Bearer ${t.token}` } });
  expect(warm.status).toBe(200);
});
afterAll(() => h.close());

async function countFor(method: string, path: string, body?: unknown) {
  calls.tenant = 0;
  calls.platform = 0;
  const res = await counted.request(path, {
    method,
    headers: { authorization: `Bearer ${t.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.status).toBeLessThan(300);
  return { ...calls };
}

describe('request transactions', () => {
  it.each([
    ['GET', '/api/v1/students'],
    ['GET', '/api/v1/users'],
    ['GET', '/api/v1/tenant'],
    ['GET', '/api/v1/me'],
    ['GET', '/api/v1/audit-log'],
    ['GET', '/api/v1/courses'],
  ])('when a tenant user calls %s %s, then exactly one tenant transaction is opened', async (method, path) => {
    expect(await countFor(method, path)).toEqual({ tenant: 1, platform: 0 });
  });

  it('when a student is created, read and patched, then each request opens exactly one tenant transaction', async () => {
    calls.tenant = 0;
    const created = await counted.request('/api/v1/students', {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ studentNo: 'TX-1', firstName: 'One', lastName: 'Tx' }),
    });
    expect(created.status).toBe(201);
    expect(calls.tenant).toBe(1);
    const { id } = (await created.json()) as { id: string };
    expect(await countFor('GET', `/api/v1/students/${id}`)).toEqual({ tenant: 1, platform: 0 });
    expect(await countFor('PATCH', `/api/v1/students/${id}`, { active: false })).toEqual({ tenant: 1, platform: 0 });
  });
});
