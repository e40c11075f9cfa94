import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { expectProblem } from '../support/http-fixtures.js';

let h: Harness;
let t: TestTenant;
let other: TestTenant;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  h = await createHarness();
  [t, other] = await Promise.all([h.createTenant(), h.createTenant()]);
  app = createApp({ services: h.services, logger: pino({ level: 'silent' }), tenantBaseDomain: 'schools.test' });
});
afterAll(() => h.close());

const login = (body: Record<string, string>, headers: Record<string, string> = {}) =>
  app.request('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const creds = () => ({ email: t.adminEmail, password: t.adminPassword });

describe('the tenant of a sign-in', () => {
  it('when it comes from the body, the X-Tenant-Slug header or the subdomain alone, then the login succeeds', async () => {
    expect((await login({ tenant: t.slug, ...creds() })).status).toBe(200);
    expect((await login(creds(), { 'x-tenant-slug': t.slug })).status).toBe(200);
    expect((await login(creds(), { host: `${t.slug}.schools.test` })).status).toBe(200);
    expect((await login(creds(), { host: `${t.slug}.schools.test:8443` })).status).toBe(200);
  });

  it('when several sources agree, then the login succeeds', async () => {
    const res = await login(
      { tenant: t.slug, ...creds() },
      { 'x-tenant-slug': t.slug, host: `${t.slug}.schools.test` },
    );
    expect(res.status).toBe(200);
  });

  it('when two sources disagree, then 400 and no sign-in is attempted', async () => {
    const failuresBefore = h.services.loginGuard.failures.get('bad_password') ?? 0;
    for (const [body, headers] of [
      [{ tenant: t.slug, ...creds() }, { 'x-tenant-slug': other.slug }],
      [{ tenant: t.slug, ...creds() }, { host: `${other.slug}.schools.test` }],
      [creds(), { 'x-tenant-slug': t.slug, host: `${other.slug}.schools.test` }],
    ] as const) {
      const problem = await expectProblem(await login(body, headers), 400, 'validation_failed');
      expect(problem.errors?.[0]?.path).toBe('tenant');
    }
    expect(h.services.loginGuard.failures.get('bad_password') ?? 0).toBe(failuresBefore);
  });

  it('when no source names a tenant (a host outside the base domain names none), then 400', async () => {
    await expectProblem(await login(creds()), 400, 'validation_failed');
    await expectProblem(await login(creds(), { host: `${t.slug}.elsewhere.test` }), 400, 'validation_failed');
    await expectProblem(await login(creds(), { host: `a.${t.slug}.schools.test` }), 400, 'validation_failed');
  });

  it('when a tenant token is used with another subdomain later, then the token alone decides', async () => {
    const res = await app.request('/api/v1/students', {
      headers: { authorization: `Bearer ${t.token}`, host: `${other.slug}.schools.test` },
    });
    expect(res.status).toBe(200);
  });
});
