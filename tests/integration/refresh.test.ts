import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

interface Pair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

async function login(tenant: string, email: string, password: string): Promise<Pair> {
  const res = await h.request('POST', '/api/v1/auth/login', { body: { tenant, email, password } });
  expect(res.status).toBe(200);
  return (await res.json()) as Pair;
}

const refresh = (refreshToken: string) => h.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });

describe('refresh tokens', () => {
  it('when a refresh token is used, then a new working pair is returned and the old one is used up', async () => {
    const t = await h.createTenant();
    const first = await login(t.slug, t.adminEmail, t.adminPassword);
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });

    const res = await refresh(first.refreshToken);
    expect(res.status).toBe(200);
    const second = (await res.json()) as Pair;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await h.request('GET', '/api/v1/me', { token: second.accessToken })).status).toBe(200);
  });

  it('when a used refresh token is replayed, then it is refused and its whole family is revoked', async () => {
    const t = await h.createTenant();
    const first = await login(t.slug, t.adminEmail, t.adminPassword);
    const second = (await (await refresh(first.refreshToken)).json()) as Pair;

    const replay = await refresh(first.refreshToken);
    expect(replay.status).toBe(401);
    // The legitimate successor is revoked too: the family is compromised.
    expect((await refresh(second.refreshToken)).status).toBe(401);
  });

  it('when logging out, then the refresh token no longer works', async () => {
    const t = await h.createTenant();
    const pair = await login(t.slug, t.adminEmail, t.adminPassword);
    const out = await h.request('POST', '/api/v1/auth/logout', { body: { refreshToken: pair.refreshToken } });
    expect(out.status).toBe(204);
    expect((await refresh(pair.refreshToken)).status).toBe(401);
  });

  it('when a refresh token is tampered with or names another tenant, then 401', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const pair = await login(a.slug, a.adminEmail, a.adminPassword);
    const [, , id, secret] = pair.refreshToken.split('.');
    expect((await refresh(`rt1.${a.id}.${id}.${'A'.repeat(43)}`)).status).toBe(401);
    expect((await refresh(`rt1.${b.id}.${id}.${secret}`)).status).toBe(401);
    expect((await refresh('not-a-token')).status).toBe(401);
    // The untouched token still works: failed attempts did not consume it.
    expect((await refresh(pair.refreshToken)).status).toBe(200);
  });

  it('when the tenant is suspended, then its refresh tokens are refused', async () => {
    const t = await h.createTenant();
    const pair = await login(t.slug, t.adminEmail, t.adminPassword);
    expect((await h.request('POST', `/api/v1/tenants/${t.id}/suspend`, { token: h.platformToken })).status).toBe(200);
    expect((await refresh(pair.refreshToken)).status).toBe(401);
  });

  it('when a platform admin refreshes, then a platform pair comes back', async () => {
    const res = await h.request('POST', '/api/v1/auth/platform/login', {
      body: { email: h.platformEmail, password: 'platform-password-1' },
    });
    const pair = (await res.json()) as Pair;
    const next = await refresh(pair.refreshToken);
    expect(next.status).toBe(200);
    const me = await h.request('GET', '/api/v1/me', { token: ((await next.json()) as Pair).accessToken });
    expect(((await me.json()) as { tenant: unknown }).tenant).toBeNull();
  });
});
