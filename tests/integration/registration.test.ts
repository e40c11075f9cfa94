import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, randomSlug } from '../support/harness.js';
import { asPlatform, expectProblem, readJson } from '../support/http-fixtures.js';

let open: Harness;
let closed: Harness;
beforeAll(async () => {
  [open, closed] = await Promise.all([
    createHarness({ env: { ALLOW_SELF_SIGNUP: true, SELF_SIGNUP_MAX_PER_HOUR: 3 } }),
    createHarness(),
  ]);
});
afterAll(async () => {
  await open?.close();
  await closed?.close();
});

const body = (slug = randomSlug('reg'), password = 'a-long-passphrase-1') => ({
  name: `School ${slug}`,
  slug,
  admin: { email: `principal@${slug}.test`, password, name: 'Principal' },
});

let address = 0;
/** A client address of its own for each test, so their budgets do not mix. */
const nextAddress = () => `198.51.100.${++address}`;

const register = (h: Harness, payload: unknown, from: string) =>
  h.request('POST', '/api/v1/tenants/register', { body: payload, headers: { 'x-forwarded-for': from } });

const tenantBySlug = (h: Harness, slug: string) =>
  asPlatform(h, (tx) => tx.tenant.findUnique({ where: { slug }, include: { settings: true } }));

describe('self-service registration', () => {
  it('when it is allowed, then a basic tenant, its admin and TenantCreated are created, and the admin can sign in', async () => {
    const payload = body();
    const res = await register(open, payload, nextAddress());
    expect(res.status).toBe(201);
    const { tenant, admin } = await readJson<{ tenant: { id: string; plan: string }; admin: { id: string } }>(res);
    expect(tenant).toMatchObject({ plan: 'basic', status: 'active' });
    expect(admin).toMatchObject({ email: payload.admin.email, role: 'tenant_admin' });
    const events = await asPlatform(open, (tx) =>
      tx.domainEvent.findMany({ where: { tenantId: tenant.id, type: 'TenantCreated' } }),
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ slug: payload.slug, plan: 'basic', adminUserId: admin.id });
    const login = await open.request('POST', '/api/v1/auth/login', {
      body: { tenant: payload.slug, email: payload.admin.email, password: payload.admin.password },
    });
    expect(login.status).toBe(200);
  });

  it('when the slug is taken, then 409 and the existing tenant is untouched', async () => {
    const payload = body();
    expect((await register(open, payload, nextAddress())).status).toBe(201);
    const before = await tenantBySlug(open, payload.slug);
    const again = await register(open, { ...body(payload.slug), name: 'Impostor' }, nextAddress());
    const problem = await expectProblem(again, 409, 'conflict');
    expect(problem.detail).toContain(payload.slug);
    expect(await tenantBySlug(open, payload.slug)).toEqual(before);
  });

  it('when the password is weak or the body names a plan, then 400 and nothing is created', async () => {
    const from = nextAddress();
    const weak = body(randomSlug('reg'), 'password1234');
    const problem = await expectProblem(await register(open, weak, from), 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'admin.password', message: 'is a commonly used password' }]);
    const sameAsEmail = body();
    sameAsEmail.admin.password = sameAsEmail.admin.email;
    await expectProblem(await register(open, sameAsEmail, from), 400, 'validation_failed');
    const withPlan = { ...body(), plan: 'enterprise' };
    await expectProblem(await register(open, withPlan, from), 400, 'validation_failed');
    for (const p of [weak, sameAsEmail, withPlan]) expect(await tenantBySlug(open, p.slug)).toBeNull();
  });

  it('when one address registers more than its hourly budget, then 429 rate_limited with Retry-After; another address still can', async () => {
    const from = nextAddress();
    for (let i = 0; i < 3; i++) expect((await register(open, body(), from)).status).toBe(201);
    const over = body();
    const refused = await register(open, over, from);
    await expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await tenantBySlug(open, over.slug)).toBeNull();
    expect((await register(open, body(), nextAddress())).status).toBe(201);
  });

  it('when it is not allowed (the default), then 404 with a clear detail and nothing is created', async () => {
    const payload = body();
    const res = await register(closed, payload, nextAddress());
    const problem = await expectProblem(res, 404, 'not_found');
    expect(problem.detail).toBe('self-service registration is not enabled on this server');
    expect(await tenantBySlug(closed, payload.slug)).toBeNull();
  });
});
