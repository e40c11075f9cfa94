import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WiringEnv } from '../../src/wiring.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { expectProblem, readJson } from '../support/http-fixtures.js';
import { type IdpKey, idpKey, idpToken, startJwksServer } from '../support/jwks-server.js';

// A provider shaped like Keycloak/Supabase: the tenant in app_metadata, the roles as a list.
const ISSUER = 'https://idp.test/realms/schools';
const AUDIENCE = 'tenantry-api';
const idpEnv = (url: string, over: Partial<WiringEnv> = {}): Partial<WiringEnv> => ({
  AUTH_JWKS_URL: url,
  AUTH_ISSUER: ISSUER,
  AUTH_AUDIENCE: AUDIENCE,
  AUTH_TENANT_CLAIM: 'app_metadata.tenant',
  AUTH_ROLE_CLAIM: 'realm_access.roles',
  AUTH_ROLE_MAP: 'school-admin=tenant_admin,teacher=staff,auditor=viewer',
  AUTH_ALGORITHMS: ['RS256', 'ES256'],
  AUTH_MAX_TOKEN_AGE_SECONDS: 3600,
  AUTH_JWKS_TIMEOUT_MS: 300,
  AUTH_JWKS_COOLDOWN_MS: 300,
  ...over,
});

type Jwks = Awaited<ReturnType<typeof startJwksServer>>;
const servers: Jwks[] = [];
const harnesses: Harness[] = [];
async function setUp(keys: IdpKey[], over: Partial<WiringEnv> = {}) {
  const idp = await startJwksServer(keys);
  servers.push(idp);
  const h = await createHarness({ env: idpEnv(idp.url, over) });
  harnesses.push(h);
  return { idp, h };
}
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await Promise.all(servers.map((s) => s.close()));
});

const claimsFor = (tenant: string | undefined, roles: unknown = ['teacher'], over: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: `auth0|${randomBytes(6).toString('hex')}`,
  ...(tenant !== undefined && { app_metadata: { tenant } }),
  realm_access: { roles },
  ...over,
});
const me = (h: Harness, token: string) => h.request('GET', '/api/v1/me', { token });
const externalUser = (h: Harness, tenantId: string, subject: string) =>
  h.runner.platform(null, ({ tx }) => tx.user.findMany({ where: { tenantId, externalSubject: subject } }));
const expectInvalidToken = async (res: Response) => {
  await expectProblem(res.clone(), 401, 'unauthorized');
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
};

describe('tokens of an external identity provider', () => {
  let key: IdpKey;
  let h: Harness;
  let idp: Jwks;
  let tenant: TestTenant;

  beforeAll(async () => {
    key = await idpKey(`idp-${randomBytes(3).toString('hex')}`);
    // A short cache, so that a key removed at the provider stops verifying within the test.
    ({ h, idp } = await setUp([key], { AUTH_JWKS_CACHE_MAX_AGE_MS: 1000 }));
    tenant = await h.createTenant();
  });

  it('when a valid provider token names the tenant by slug, then its subject is provisioned once as a user with the mapped role', async () => {
    const claims = claimsFor(tenant.slug, ['offline_access', 'teacher'], { email: 'Ada@Example.test', name: 'Ada' });
    const res = await me(h, await idpToken(key, claims));
    expect(res.status).toBe(200);
    const body = await readJson<{ user: { id: string; role: string; email: string }; tenant: { id: string } }>(res);
    expect(body.tenant.id).toBe(tenant.id);
    expect(body.user).toMatchObject({ role: 'staff', email: 'ada@example.test' });
    // A second token of the same subject (this time naming the tenant by id) is the same user.
    const again = await readJson<{ user: { id: string } }>(
      await me(h, await idpToken(key, { ...claims, app_metadata: { tenant: tenant.id } })),
    );
    expect(again.user.id).toBe(body.user.id);
    const rows = await externalUser(h, tenant.id, claims.sub);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: body.user.id, role: 'staff', passwordHash: '!', active: true });
    // The provisioned user works like any other: a staff member may create a student.
    const created = await h.request('POST', '/api/v1/students', {
      token: await idpToken(key, claims),
      body: { studentNo: 'S-1', firstName: 'A', lastName: 'B' },
    });
    expect(created.status).toBe(201);
  });

  it('when several roles map, then the most privileged one is taken; when none does, then 403 and no user', async () => {
    const claims = claimsFor(tenant.slug, ['auditor', 'school-admin']);
    expect((await readJson<{ user: { role: string } }>(await me(h, await idpToken(key, claims)))).user.role).toBe(
      'tenant_admin',
    );
    const unmapped = claimsFor(tenant.slug, ['superuser']);
    await expectProblem(await me(h, await idpToken(key, unmapped)), 403, 'forbidden');
    await expectProblem(await me(h, await idpToken(key, claimsFor(tenant.slug, 'teacher '))), 403, 'forbidden');
    expect(await externalUser(h, tenant.id, unmapped.sub)).toHaveLength(0);
  });

  it('when the tenant claim is missing, malformed or names an unknown tenant, then 401 and nothing is provisioned', async () => {
    const externalUsers = () =>
      h.runner.platform(null, ({ tx }) => tx.user.count({ where: { externalSubject: { not: null } } }));
    const before = await externalUsers();
    for (const claims of [
      claimsFor(undefined),
      claimsFor('no-such-school'),
      claimsFor(randomUUID()),
      claimsFor('../../etc'),
      { ...claimsFor(undefined), app_metadata: { tenant: 42 } },
    ]) {
      await expectInvalidToken(await me(h, await idpToken(key, claims)));
    }
    expect(await externalUsers()).toBe(before);
  });

  it('when the tenant is suspended, then 403 tenant_suspended; when it is deleted, then 401', async () => {
    const t = await h.createTenant();
    const claims = claimsFor(t.slug);
    await h.request('POST', `/api/v1/tenants/${t.id}/suspend`, { token: h.platformToken });
    await expectProblem(await me(h, await idpToken(key, claims)), 403, 'tenant_suspended');
    await h.request('POST', `/api/v1/tenants/${t.id}/reactivate`, { token: h.platformToken });
    expect((await me(h, await idpToken(key, claims))).status).toBe(200);
    expect((await h.request('DELETE', `/api/v1/tenants/${t.id}`, { token: h.platformToken })).status).toBe(204);
    await expectInvalidToken(await me(h, await idpToken(key, claims)));
  });

  it('when the issuer, audience, expiry, age, algorithm or signature is wrong, then 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stranger = await idpKey(key.kid);
    for (const token of [
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { iss: 'https://evil.test/' })),
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { iss: undefined })),
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { aud: 'another-api' })),
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { aud: undefined })),
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { iat: now - 600, exp: now - 60 })),
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { exp: undefined })),
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { sub: undefined })),
      await idpToken(key, claimsFor(tenant.slug, ['teacher'], { iat: now - 7200, exp: now + 600 })),
      // The public key as an HMAC secret (algorithm confusion): HS256 is not on the allow-list.
      await new SignJWT(claimsFor(tenant.slug))
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
      await idpToken(stranger, claimsFor(tenant.slug)),
    ]) {
      await expectInvalidToken(await me(h, token));
    }
  });

  it('when the provider changes the role, then a newer token updates it and tokens naming the old role stop working', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = claimsFor(tenant.slug, ['teacher']);
    const asStaff = await idpToken(key, { ...claims, iat: now - 5 });
    expect((await me(h, asStaff)).status).toBe(200);
    const asAdmin = await idpToken(key, { ...claims, realm_access: { roles: ['school-admin'] }, iat: now });
    expect((await readJson<{ user: { role: string } }>(await me(h, asAdmin))).user.role).toBe('tenant_admin');
    await expectInvalidToken(await me(h, asStaff));
    // An older token naming the old role does not turn the role back.
    await expectInvalidToken(await me(h, await idpToken(key, { ...claims, iat: now - 3 })));
    expect((await externalUser(h, tenant.id, claims.sub))[0]?.role).toBe('tenant_admin');
    expect((await me(h, asAdmin)).status).toBe(200);
  });

  it('when a tenant admin deactivates a provisioned user, then its provider tokens are refused, new ones too', async () => {
    const claims = claimsFor(tenant.slug);
    const token = await idpToken(key, claims);
    const { user } = await readJson<{ user: { id: string } }>(await me(h, token));
    const patched = await h.request('PATCH', `/api/v1/users/${user.id}`, {
      token: tenant.token,
      body: { active: false },
    });
    expect(patched.status).toBe(200);
    await expectInvalidToken(await me(h, token));
    await expectInvalidToken(
      await me(h, await idpToken(key, { ...claims, realm_access: { roles: ['school-admin'] } })),
    );
    expect((await externalUser(h, tenant.id, claims.sub))[0]).toMatchObject({ active: false, role: 'staff' });
  });

  it("when the tenant's plan has no room for another user, then a new subject gets 403 quota_exceeded and is not provisioned", async () => {
    const t = await h.createTenant();
    const limited = await h.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: h.platformToken,
      body: { limits: { maxUsers: 1 } },
    });
    expect(limited.status).toBe(200);
    const claims = claimsFor(t.slug);
    await expectProblem(await me(h, await idpToken(key, claims)), 403, 'quota_exceeded');
    expect(await externalUser(h, t.id, claims.sub)).toHaveLength(0);
  });

  it('when many first tokens of one subject arrive at once, then exactly one user is provisioned', async () => {
    const t = await h.createTenant();
    const claims = claimsFor(t.slug);
    const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => idpToken(key, { ...claims, jti: String(i) })));
    const statuses = await Promise.all(tokens.map(async (t) => (await me(h, t)).status));
    expect(statuses).toEqual(Array(8).fill(200));
    expect(await externalUser(h, t.id, claims.sub)).toHaveLength(1);
  });

  it('when the provider rotates its key, then a token of the new key is accepted after the cooldown, and the removed key is refused once the cached set expires', async () => {
    const next = await idpKey(`idp-next-${randomBytes(3).toString('hex')}`);
    const t = await h.createTenant();
    expect((await me(h, await idpToken(key, claimsFor(t.slug)))).status).toBe(200);
    idp.serve([key, next]);
    await new Promise((r) => setTimeout(r, 350));
    expect((await me(h, await idpToken(next, claimsFor(t.slug)))).status).toBe(200);
    idp.serve([next]);
    await new Promise((r) => setTimeout(r, 1100));
    await expectInvalidToken(await me(h, await idpToken(key, claimsFor(t.slug))));
    expect((await me(h, await idpToken(next, claimsFor(t.slug)))).status).toBe(200);
    idp.serve([key, next]);
  });

  it('when our own tokens are used beside the provider, then they keep working', async () => {
    expect((await me(h, tenant.token)).status).toBe(200);
    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.adminEmail, password: tenant.adminPassword },
    });
    expect((await me(h, (await readJson<{ accessToken: string }>(login)).accessToken)).status).toBe(200);
  });
});

describe('an identity provider that is down, slow or flooded', () => {
  it('when the JWKS endpoint refuses connections, then 503 at once, and again without waiting during the cooldown', async () => {
    const key = await idpKey('down');
    const { idp, h } = await setUp([key], { AUTH_JWKS_COOLDOWN_MS: 5000 });
    const t = await h.createTenant();
    await idp.close();
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await me(h, await idpToken(key, claimsFor(t.slug)));
      expect(performance.now() - started).toBeLessThan(1000);
      await expectProblem(res, 503, 'service_unavailable');
    }
  });

  it('when the JWKS endpoint never answers, then 503 after the timeout, never a hang; later requests answer at once', async () => {
    const key = await idpKey('slow');
    const { idp, h } = await setUp([key], { AUTH_JWKS_TIMEOUT_MS: 300, AUTH_JWKS_COOLDOWN_MS: 5000 });
    const t = await h.createTenant();
    idp.hang(true);
    let started = performance.now();
    await expectProblem(await me(h, await idpToken(key, claimsFor(t.slug))), 503, 'service_unavailable');
    const first = performance.now() - started;
    expect(first).toBeGreaterThanOrEqual(250);
    expect(first).toBeLessThan(2000);
    started = performance.now();
    const fetches = idp.fetches;
    await expectProblem(await me(h, await idpToken(key, claimsFor(t.slug))), 503, 'service_unavailable');
    expect(performance.now() - started).toBeLessThan(250);
    expect(idp.fetches).toBe(fetches);
  });

  it('when a storm of tokens names unknown kids, then the JWKS is fetched at most once more per cooldown', async () => {
    const key = await idpKey('storm');
    const { idp, h } = await setUp([key], { AUTH_JWKS_COOLDOWN_MS: 30_000 });
    const t = await h.createTenant();
    expect((await me(h, await idpToken(key, claimsFor(t.slug)))).status).toBe(200);
    const before = idp.fetches;
    expect(before).toBe(1);
    const forged = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => idpToken(await idpKey(`unknown-${i}`, 'ES256'), claimsFor(t.slug))),
    );
    const concurrent = await Promise.all(forged.slice(0, 20).map((token) => me(h, token)));
    for (const res of concurrent) expect(res.status).toBe(401);
    for (const token of forged.slice(20)) expect((await me(h, token)).status).toBe(401);
    expect(idp.fetches - before).toBeLessThanOrEqual(1);
    expect((await me(h, await idpToken(key, claimsFor(t.slug)))).status).toBe(200);
  });
});
