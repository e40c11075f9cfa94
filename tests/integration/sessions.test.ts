import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { addUser, expectProblem, readJson } from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

interface Pair {
  accessToken: string;
  refreshToken: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const login = async (t: TestTenant, email: string, password: string) =>
  h.request('POST', '/api/v1/auth/login', { body: { tenant: t.slug, email, password } });
const signIn = async (t: TestTenant, email: string, password: string) => {
  const res = await login(t, email, password);
  expect(res.status).toBe(200);
  return readJson<Pair>(res);
};
const refresh = (refreshToken: string) => h.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
const me = (token: string) => h.request('GET', '/api/v1/me', { token });
const students = (token: string) => h.request('GET', '/api/v1/students', { token });

describe('POST /me/password', () => {
  it('when the password changes, then every other session ends at once and the new pair works', async () => {
    const t = await h.createTenant();
    const user = await addUser(h, t, 'staff');
    const here = await signIn(t, user.email, user.password);
    const elsewhere = await signIn(t, user.email, user.password);
    // Token iat has whole seconds; the change must come in a later second than these logins.
    await sleep(1100);
    const res = await h.request('POST', '/api/v1/me/password', {
      token: here.accessToken,
      body: { currentPassword: user.password, newPassword: 'a-fresh-long-passphrase' },
    });
    expect(res.status).toBe(200);
    const fresh = await readJson<Pair>(res);
    await expectProblem(await students(elsewhere.accessToken), 401, 'unauthorized');
    await expectProblem(await students(here.accessToken), 401, 'unauthorized');
    await expectProblem(await refresh(elsewhere.refreshToken), 401, 'unauthorized');
    await expectProblem(await refresh(here.refreshToken), 401, 'unauthorized');
    expect((await students(fresh.accessToken)).status).toBe(200);
    expect((await refresh(fresh.refreshToken)).status).toBe(200);
    expect((await login(t, user.email, user.password)).status).toBe(401);
    expect((await login(t, user.email, 'a-fresh-long-passphrase')).status).toBe(200);
  });

  it('when the current password is wrong or the new one weak, then 400 naming the field and nothing changes', async () => {
    const t = await h.createTenant();
    const user = await addUser(h, t, 'viewer');
    const change = (body: object) => h.request('POST', '/api/v1/me/password', { token: user.token, body });
    const wrong = await expectProblem(
      await change({ currentPassword: 'not-my-password', newPassword: 'a-fresh-long-passphrase' }),
      400,
      'validation_failed',
    );
    expect(wrong.errors?.[0]?.path).toBe('currentPassword');
    for (const weak of ['short-1', 'password1234', 'PASSWORD1234', 'aaaaaaaaaaaaaaa', user.email]) {
      const body = await expectProblem(
        await change({ currentPassword: user.password, newPassword: weak }),
        400,
        'validation_failed',
      );
      expect(body.errors?.[0]?.path).toBe('newPassword');
    }
    await expectProblem(
      await change({ currentPassword: user.password, newPassword: user.password }),
      400,
      'validation_failed',
    );
    expect((await students(user.token)).status).toBe(200);
    expect((await login(t, user.email, user.password)).status).toBe(200);
  });

  it('when a platform admin calls it, then 403 (platform admins are managed by the owner)', async () => {
    const res = await h.request('POST', '/api/v1/me/password', {
      token: h.platformToken,
      body: { currentPassword: 'platform-password-1', newPassword: 'a-fresh-long-passphrase' },
    });
    await expectProblem(res, 403, 'forbidden');
  });
});

describe('sessions end when the user changes', () => {
  it('when a user is deactivated, then their access and refresh tokens are refused at once and they cannot log in; reactivated, they can', async () => {
    const t = await h.createTenant();
    const user = await addUser(h, t, 'staff');
    const pair = await signIn(t, user.email, user.password);
    const off = await h.request('PATCH', `/api/v1/users/${user.id}`, { token: t.token, body: { active: false } });
    expect(off.status).toBe(200);
    expect(await readJson<{ active: boolean }>(off)).toMatchObject({ active: false });
    await expectProblem(await students(pair.accessToken), 401, 'unauthorized');
    await expectProblem(await me(user.token), 401, 'unauthorized');
    await expectProblem(await refresh(pair.refreshToken), 401, 'unauthorized');
    expect((await login(t, user.email, user.password)).status).toBe(401);
    const on = await h.request('PATCH', `/api/v1/users/${user.id}`, { token: t.token, body: { active: true } });
    expect(on.status).toBe(200);
    expect((await login(t, user.email, user.password)).status).toBe(200);
    // The refresh token revoked at deactivation stays revoked.
    await expectProblem(await refresh(pair.refreshToken), 401, 'unauthorized');
  });

  it("when a user's role changes, then tokens naming the old role are refused at once and their refresh tokens are revoked", async () => {
    const t = await h.createTenant();
    const user = await addUser(h, t, 'staff');
    const pair = await signIn(t, user.email, user.password);
    const res = await h.request('PATCH', `/api/v1/users/${user.id}`, { token: t.token, body: { role: 'viewer' } });
    expect(res.status).toBe(200);
    await expectProblem(await students(pair.accessToken), 401, 'unauthorized');
    await expectProblem(await refresh(pair.refreshToken), 401, 'unauthorized');
    const again = await signIn(t, user.email, user.password);
    expect((await students(again.accessToken)).status).toBe(200);
    const created = await h.request('POST', '/api/v1/students', {
      token: again.accessToken,
      body: { studentNo: 'S-1', firstName: 'A', lastName: 'B' },
    });
    await expectProblem(created, 403, 'forbidden');
  });

  it('when a user is deleted, then their access and refresh tokens are refused at once', async () => {
    const t = await h.createTenant();
    const user = await addUser(h, t, 'viewer');
    const pair = await signIn(t, user.email, user.password);
    expect((await h.request('DELETE', `/api/v1/users/${user.id}`, { token: t.token })).status).toBe(204);
    await expectProblem(await students(pair.accessToken), 401, 'unauthorized');
    await expectProblem(await refresh(pair.refreshToken), 401, 'unauthorized');
  });

  it('when a 401 comes from a refused token, then WWW-Authenticate says invalid_token', async () => {
    const t = await h.createTenant();
    const user = await addUser(h, t, 'viewer');
    await h.request('PATCH', `/api/v1/users/${user.id}`, { token: t.token, body: { active: false } });
    const res = await students(user.token);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
  });
});

describe('a tenant keeps an active tenant admin', () => {
  it('when the only active tenant admin would be demoted, deactivated or deleted, then 409 and nothing changes', async () => {
    const t = await h.createTenant();
    const other = await addUser(h, t, 'tenant_admin');
    // Deactivate the second admin first: the first is now the only active one.
    expect(
      (await h.request('PATCH', `/api/v1/users/${other.id}`, { token: t.token, body: { active: false } })).status,
    ).toBe(200);
    for (const body of [{ role: 'staff' }, { active: false }]) {
      await expectProblem(
        await h.request('PATCH', `/api/v1/users/${t.adminId}`, { token: t.token, body }),
        409,
        'conflict',
      );
    }
    const helper = await addUser(h, t, 'staff');
    // Staff cannot delete; the admin cannot delete themselves; nothing else could remove the last admin.
    await expectProblem(
      await h.request('DELETE', `/api/v1/users/${t.adminId}`, { token: helper.token }),
      403,
      'forbidden',
    );
    const admin = await readJson<{ role: string; active: boolean }>(
      await h.request('GET', `/api/v1/users/${t.adminId}`, { token: t.token }),
    );
    expect(admin).toMatchObject({ role: 'tenant_admin', active: true });
    expect((await students(t.token)).status).toBe(200);
  });

  it('when there is another active admin, then an admin may be demoted or deleted', async () => {
    const t = await h.createTenant();
    const a = await addUser(h, t, 'tenant_admin');
    const b = await addUser(h, t, 'tenant_admin');
    expect(
      (await h.request('PATCH', `/api/v1/users/${a.id}`, { token: t.token, body: { role: 'staff' } })).status,
    ).toBe(200);
    expect((await h.request('DELETE', `/api/v1/users/${b.id}`, { token: t.token })).status).toBe(204);
  });

  it('when two admins demote each other at the same time, then exactly one succeeds', async () => {
    const t = await h.createTenant();
    const b = await addUser(h, t, 'tenant_admin');
    // Two active admins: t's first admin and b. Each demotes the other concurrently.
    const [x, y] = await Promise.all([
      h.request('PATCH', `/api/v1/users/${b.id}`, { token: t.token, body: { role: 'viewer' } }),
      h.request('PATCH', `/api/v1/users/${t.adminId}`, { token: b.token, body: { role: 'viewer' } }),
    ]);
    const statuses = [x.status, y.status].sort();
    // The loser is refused either by the last-admin rule (409) or, if the winner demoted it
    // first, because its own token no longer names an admin (401).
    expect(statuses[0]).toBe(200);
    expect([401, 409]).toContain(statuses[1]);
    const rows = await h.runner.tenant({ tenantId: t.id, userId: null }, ({ tx }) =>
      tx.user.findMany({ where: { tenantId: t.id, role: 'tenant_admin', active: true } }),
    );
    expect(rows).toHaveLength(1);
  });
});
