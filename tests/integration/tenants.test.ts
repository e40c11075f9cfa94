import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, randomSlug } from '../support/harness.js';
import {
  asPlatform,
  comparable,
  createStudent,
  expectProblem,
  type PageBody,
  readJson,
} from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const tenantBody = (slug: string, email = `first@${slug}.test`) => ({
  name: `School ${slug}`,
  slug,
  plan: 'premium',
  timezone: 'Europe/Berlin',
  admin: { email, password: 'first-admin-password', name: 'First Admin' },
});

interface EventBody {
  id: string;
  type: string;
  tenantId: string;
  payload: Record<string, unknown>;
}

const createdEvents = async (tenantId: string) => {
  const res = await h.request('GET', `/api/v1/events?type=TenantCreated&tenantId=${tenantId}`, {
    token: h.platformToken,
  });
  expect(res.status).toBe(200);
  return (await readJson<PageBody<EventBody>>(res)).data;
};

const login = (slug: string, email: string, password: string) =>
  h.request('POST', '/api/v1/auth/login', { body: { tenant: slug, email, password } });

describe('creating a tenant', () => {
  it('when a platform admin creates a tenant, then tenant, settings, first admin and TenantCreated exist', async () => {
    const slug = randomSlug();
    const res = await h.request('POST', '/api/v1/tenants', { token: h.platformToken, body: tenantBody(slug) });
    expect(res.status).toBe(201);
    const { tenant, admin } = await readJson<{ tenant: { id: string }; admin: { id: string } }>(res);
    expect(tenant).toMatchObject({ slug, status: 'active', plan: 'premium', timezone: 'Europe/Berlin' });
    expect(admin).toMatchObject({ email: `first@${slug}.test`, role: 'tenant_admin' });
    expect(admin).not.toHaveProperty('passwordHash');

    const stored = await asPlatform(h, async (tx) => ({
      settings: await tx.tenantSettings.findUnique({ where: { tenantId: tenant.id } }),
      users: await tx.user.findMany({ where: { tenantId: tenant.id } }),
    }));
    expect(stored.settings).toMatchObject({ plan: 'premium', timezone: 'Europe/Berlin' });
    expect(stored.users.map((u) => [u.id, u.role])).toEqual([[admin.id, 'tenant_admin']]);

    const events = await createdEvents(tenant.id);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ tenantId: tenant.id, slug, adminUserId: admin.id });

    const signedIn = await login(slug, `FIRST@${slug}.test`, 'first-admin-password');
    expect(signedIn.status).toBe(200);
    const { accessToken } = await readJson<{ accessToken: string }>(signedIn);
    const me = await readJson<{ user: { id: string } }>(await h.request('GET', '/api/v1/me', { token: accessToken }));
    expect(me.user.id).toBe(admin.id);
  });

  it('when the slug is taken, then 409 conflict and no second tenant or event', async () => {
    const t = await h.createTenant();
    const res = await h.request('POST', '/api/v1/tenants', {
      token: h.platformToken,
      body: tenantBody(t.slug, 'x@x.test'),
    });
    await expectProblem(res, 409, 'conflict');
    const rows = await asPlatform(h, async (tx) => ({
      tenants: await tx.tenant.count({ where: { slug: t.slug } }),
      events: await tx.domainEvent.count({
        where: { type: 'TenantCreated', payload: { path: ['slug'], equals: t.slug } },
      }),
      strangers: await tx.user.count({ where: { email: 'x@x.test', tenantId: t.id } }),
    }));
    expect(rows).toEqual({ tenants: 1, events: 1, strangers: 0 });
  });

  for (const slug of ['UPPER', '-lead', 'trail-', 'has space', 'a'.repeat(64), 'ünï']) {
    it(`when the slug is "${slug.slice(0, 20)}", then 400 and no tenant`, async () => {
      const res = await h.request('POST', '/api/v1/tenants', {
        token: h.platformToken,
        body: tenantBody(slug, 'a@b.test'),
      });
      await expectProblem(res, 400, 'validation_failed');
      expect(await asPlatform(h, (tx) => tx.tenant.count({ where: { slug } }))).toBe(0);
    });
  }
});

describe('suspending, reactivating and deleting a tenant', () => {
  it('when a tenant is suspended, then its tokens get 403 tenant_suspended and its logins the generic 401; reactivated, both work', async () => {
    const t = await h.createTenant();
    const other = await h.createTenant();
    const s = await createStudent(h, t.token);
    const suspend = await h.request('POST', `/api/v1/tenants/${t.id}/suspend`, { token: h.platformToken });
    expect(suspend.status).toBe(200);
    expect(await suspend.json()).toMatchObject({ id: t.id, status: 'suspended' });

    await expectProblem(await h.request('GET', '/api/v1/students', { token: t.token }), 403, 'tenant_suspended');
    await expectProblem(
      await h.request('GET', `/api/v1/students/${s.id}`, { token: t.token }),
      403,
      'tenant_suspended',
    );
    await expectProblem(await h.request('GET', '/api/v1/me', { token: t.token }), 403, 'tenant_suspended');
    const refused = await expectProblem(await login(t.slug, t.adminEmail, t.adminPassword), 401, 'unauthorized');
    const wrongPassword = await expectProblem(
      await login(other.slug, other.adminEmail, 'wrong-password-1'),
      401,
      'unauthorized',
    );
    expect(comparable(refused)).toEqual(comparable(wrongPassword));
    expect((await h.request('GET', '/api/v1/students', { token: other.token })).status).toBe(200);

    const reactivate = await h.request('POST', `/api/v1/tenants/${t.id}/reactivate`, { token: h.platformToken });
    expect(reactivate.status).toBe(200);
    expect((await h.request('GET', `/api/v1/students/${s.id}`, { token: t.token })).status).toBe(200);
    expect((await login(t.slug, t.adminEmail, t.adminPassword)).status).toBe(200);
  });

  it('when a tenant is deleted, then 204, its token gets 401, it leaves the default list and its rows stay until purged', async () => {
    const t = await h.createTenant();
    const keep = await h.createTenant();
    await createStudent(h, t.token);
    const kept = await createStudent(h, keep.token);
    const res = await h.request('DELETE', `/api/v1/tenants/${t.id}`, { token: h.platformToken });
    expect(res.status).toBe(204);

    const after = await h.request('GET', '/api/v1/students', { token: t.token });
    expect(after.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    await expectProblem(after, 401, 'unauthorized');
    const shown = await readJson<{ status: string; deletedAt: string; purgeAfter: string }>(
      await h.request('GET', `/api/v1/tenants/${t.id}`, { token: h.platformToken }),
    );
    expect(shown.status).toBe('deleted');
    // deletedAt is the database's transaction time, purgeAfter the service's clock + 30 days.
    const grace = Date.parse(shown.purgeAfter) - Date.parse(shown.deletedAt);
    expect(Math.abs(grace - 30 * 24 * 60 * 60 * 1000)).toBeLessThan(60_000);
    const again = await expectProblem(
      await h.request('DELETE', `/api/v1/tenants/${t.id}`, { token: h.platformToken }),
      409,
      'invalid_transition',
    );
    expect(again.detail).toMatch(/deleted/);
    const students = await asPlatform(h, (tx) => tx.student.count({ where: { tenantId: t.id } }));
    expect(students).toBe(1);
    expect((await h.request('GET', `/api/v1/students/${kept.id}`, { token: keep.token })).status).toBe(200);
  });
});
