import { randomBytes } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, createPlatformAdmin, type Harness, randomSlug } from '../support/harness.js';
import { addUser, comparable, expectProblem, readJson } from '../support/http-fixtures.js';

let h: Harness;
const platform = { email: `ops-${randomBytes(4).toString('hex')}@platform.test`, password: 'platform-password-2' };
beforeAll(async () => {
  h = await createHarness();
  await createPlatformAdmin(h.db, platform.email, platform.password);
});
afterAll(() => h.close());

interface Pair {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
}

const login = (body: Record<string, string>) => h.request('POST', '/api/v1/auth/login', { body });
const platformLogin = (body: Record<string, string>) => h.request('POST', '/api/v1/auth/platform/login', { body });

async function expectLoginRefused(res: Response) {
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
  return comparable(await expectProblem(res, 401, 'unauthorized'));
}

const strict = {
  issuer: 'tenantry',
  audience: 'tenantry-api',
  algorithms: ['EdDSA'],
  typ: 'at+jwt',
  requiredClaims: ['exp'],
};

describe('tenant login', () => {
  it('when the credentials are right, then 200 with a Bearer pair', async () => {
    const t = await h.createTenant();
    const res = await login({ tenant: t.slug, email: t.adminEmail, password: t.adminPassword });
    expect(res.status).toBe(200);
    const pair = await readJson<Pair>(res);
    expect(pair).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String) });
    expect(pair.expiresIn).toBeGreaterThan(0);
    expect(pair.expiresIn).toBeLessThanOrEqual(900);
    expect((await h.request('GET', '/api/v1/students', { token: pair.accessToken })).status).toBe(200);
  });

  it('when the tenant, the user or the password is wrong, then the very same 401', async () => {
    const t = await h.createTenant();
    const other = await h.createTenant();
    const refusals = [
      await login({ tenant: randomSlug('ghost'), email: t.adminEmail, password: t.adminPassword }),
      await login({ tenant: t.slug, email: `nobody@${t.slug}.test`, password: t.adminPassword }),
      await login({ tenant: t.slug, email: t.adminEmail, password: 'wrong-password-1' }),
      // A real user and password, but of another tenant: must not hint that the account exists elsewhere.
      await login({ tenant: t.slug, email: other.adminEmail, password: other.adminPassword }),
    ];
    const bodies = await Promise.all(refusals.map(expectLoginRefused));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });

  it('when platform-admin credentials are used on the tenant login, then the same 401', async () => {
    const t = await h.createTenant();
    const asPlatformAdmin = await login({ tenant: t.slug, email: platform.email, password: platform.password });
    const wrong = await login({ tenant: t.slug, email: t.adminEmail, password: 'wrong-password-1' });
    expect(await expectLoginRefused(asPlatformAdmin)).toEqual(await expectLoginRefused(wrong));
  });
});

describe('platform login', () => {
  it('when the credentials are right, then 200 and the token works on platform routes', async () => {
    const res = await platformLogin(platform);
    expect(res.status).toBe(200);
    const { accessToken } = await readJson<Pair>(res);
    expect((await h.request('GET', '/api/v1/tenants?limit=1', { token: accessToken })).status).toBe(200);
  });

  it('when the password or the email is wrong, or a tenant admin tries, then the same 401', async () => {
    const t = await h.createTenant();
    const bodies = [
      await expectLoginRefused(await platformLogin({ email: platform.email, password: 'wrong-password-1' })),
      await expectLoginRefused(await platformLogin({ email: `nobody-${platform.email}`, password: platform.password })),
      await expectLoginRefused(await platformLogin({ email: t.adminEmail, password: t.adminPassword })),
    ];
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });
});

describe('GET /api/v1/me', () => {
  it('when a tenant user asks, then its user and tenant come back', async () => {
    const t = await h.createTenant();
    const staff = await addUser(h, t, 'staff');
    const res = await h.request('GET', '/api/v1/me', { token: staff.token });
    expect(res.status).toBe(200);
    const me = await readJson<{ user: Record<string, unknown>; tenant: Record<string, unknown> }>(res);
    expect(me.user).toMatchObject({ id: staff.id, email: staff.email, role: 'staff' });
    expect(me.user).not.toHaveProperty('passwordHash');
    expect(me.tenant).toMatchObject({ id: t.id, slug: t.slug, status: 'active' });
  });

  it('when a platform admin asks, then its user comes back and the tenant is null', async () => {
    const { accessToken } = await readJson<Pair>(await platformLogin(platform));
    const me = await readJson<{ user: Record<string, unknown>; tenant: unknown }>(
      await h.request('GET', '/api/v1/me', { token: accessToken }),
    );
    expect(me.user).toMatchObject({ email: platform.email, role: 'platform_admin' });
    expect(me.tenant).toBeNull();
  });
});

describe('JWKS', () => {
  const jwks = async () => {
    const res = await h.request('GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    return readJson<JSONWebKeySet>(res);
  };

  it('when the published keys are fetched, then they are public Ed25519 keys only', async () => {
    const { keys } = await jwks();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('when a tenant login token is checked against the JWKS, then it verifies with the API.md claims', async () => {
    const t = await h.createTenant();
    const { accessToken } = await readJson<Pair>(
      await login({ tenant: t.slug, email: t.adminEmail, password: t.adminPassword }),
    );
    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(await jwks()), strict);
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: t.adminId, tid: t.id, role: 'tenant_admin', jti: expect.any(String) });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(900);
  });

  it('when a platform login token is checked against the JWKS, then it verifies and names no tenant', async () => {
    const { accessToken } = await readJson<Pair>(await platformLogin(platform));
    const { payload } = await jwtVerify(accessToken, createLocalJWKSet(await jwks()), strict);
    expect(payload).toMatchObject({ role: 'platform_admin' });
    expect(payload).not.toHaveProperty('tid');
  });

  it('when a token from a foreign key under a published kid is checked against the JWKS, then it fails', async () => {
    const set = await jwks();
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ role: 'platform_admin' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: set.keys[0]?.kid })
      .setIssuer('tenantry')
      .setAudience('tenantry-api')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(decodeProtectedHeader(forged).kid).toBe(set.keys[0]?.kid);
    await expect(jwtVerify(forged, createLocalJWKSet(set), strict)).rejects.toThrow();
  });
});
