import { randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from '../support/api-types.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';

/**
 * A client generated from /openapi.json (openapi-typescript + openapi-fetch) signs in and calls
 * a few operations against the real app: the document's shapes are the ones the server speaks,
 * and `npm run typecheck` compiles this file against them.
 */

let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await createHarness();
  t = await h.createTenant({ plan: 'premium' });
});
afterAll(() => h?.close());

const clientFor = (token?: string) =>
  createClient<paths>({
    baseUrl: 'http://tenantry.test',
    fetch: (req) => Promise.resolve(h.app.fetch(req)),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

describe('a generated, typed client', () => {
  it('when it signs in and works with students, then every typed answer matches the server', async () => {
    const anon = clientFor();
    const login = await anon.POST('/api/v1/auth/login', {
      body: { tenant: t.slug, email: t.adminEmail, password: t.adminPassword },
    });
    expect(login.response.status).toBe(200);
    const token = login.data!.accessToken;
    expect(login.data!.tokenType).toBe('Bearer');

    const api = clientFor(token);
    const me = await api.GET('/api/v1/me');
    expect(me.response.status).toBe(200);
    // Me is a union: a tenant user with a (never null) tenant, or a platform admin without one.
    const caller = me.data!;
    if (!('tenant' in caller)) throw new Error('expected a tenant user');
    expect(caller.user.role).toBe('tenant_admin');
    expect(caller.tenant.slug).toBe(t.slug);
    expect(caller.tenant.plan).toBe('premium');

    const created = await api.POST('/api/v1/students', {
      body: { studentNo: `S-${randomUUID().slice(0, 8)}`, firstName: 'Ada', lastName: 'Lovelace' },
    });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get('RateLimit-Limit')).toBeTruthy();
    const id = created.data!.id;

    const one = await api.GET('/api/v1/students/{id}', { params: { path: { id } } });
    expect(one.data?.firstName).toBe('Ada');
    expect(Number.isNaN(Date.parse(one.data!.createdAt))).toBe(false);

    const list = await api.GET('/api/v1/students', { params: { query: { limit: 5, q: 'Lovelace' } } });
    expect(list.data?.data.map((s) => s.id)).toContain(id);

    const missing = await api.GET('/api/v1/students/{id}', { params: { path: { id: randomUUID() } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.code).toBe('not_found');
  });

  it('when a call does not fit the document, then it does not compile', () => {
    const api = clientFor();
    // Never sent: these lines exist for the type checker, which must refuse both.
    const calls = [
      // @ts-expect-error a student needs a lastName
      () => api.POST('/api/v1/students', { body: { studentNo: 'S-1', firstName: 'A' } }),
      // @ts-expect-error no such operation
      () => api.GET('/api/v1/pupils'),
    ];
    expect(calls).toHaveLength(2);
  });
});
