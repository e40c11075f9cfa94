import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { expectProblem, readJson } from '../support/http-fixtures.js';

const newKey = async (kid: string): Promise<JWK> => {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
};
const keySet = (...keys: JWK[]) => JSON.stringify({ keys });

let old: JWK;
let next: JWK;
const harnesses: Harness[] = [];
const withKeys = async (...keys: JWK[]) => {
  const h = await createHarness({ env: { JWT_SIGNING_KEYS: keySet(...keys) } });
  harnesses.push(h);
  return h;
};
beforeAll(async () => {
  old = await newKey(`old-${randomBytes(3).toString('hex')}`);
  next = await newKey(`new-${randomBytes(3).toString('hex')}`);
});
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
const students = (h: Harness, token: string) => h.request('GET', '/api/v1/students', { token });

describe('signing key rotation', () => {
  let tenant: TestTenant;
  let tokenByOld: string;

  it('step 1: with one key, tokens carry its kid and the JWKS lists it', async () => {
    const h = await withKeys(old);
    tenant = await h.createTenant();
    const res = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.adminEmail, password: tenant.adminPassword },
    });
    tokenByOld = (await readJson<{ accessToken: string }>(res)).accessToken;
    expect(kidOf(tokenByOld)).toBe(old.kid);
    const jwks = await readJson<{ keys: JWK[] }>(await h.request('GET', '/.well-known/jwks.json'));
    expect(jwks.keys.map((k) => k.kid)).toEqual([old.kid]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('step 2: with the new key added last, the new key signs, the old token stays valid and the JWKS lists both', async () => {
    const h = await withKeys(old, next);
    const res = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.adminEmail, password: tenant.adminPassword },
    });
    const tokenByNew = (await readJson<{ accessToken: string }>(res)).accessToken;
    expect(kidOf(tokenByNew)).toBe(next.kid);
    expect((await students(h, tokenByOld)).status).toBe(200);
    expect((await students(h, tokenByNew)).status).toBe(200);
    const jwks = await readJson<{ keys: JWK[] }>(await h.request('GET', '/.well-known/jwks.json'));
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([old.kid, next.kid].sort());
  });

  it('step 3: with the old key retired, its tokens fail (401 invalid_token) and the new ones keep working', async () => {
    const h = await withKeys(next);
    const res = await students(h, tokenByOld);
    await expectProblem(res.clone(), 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(
      (
        await students(
          h,
          await h.tokenFor({ kind: 'tenant', tenantId: tenant.id, userId: tenant.adminId, role: 'tenant_admin' }),
        )
      ).status,
    ).toBe(200);
    const jwks = await readJson<{ keys: JWK[] }>(await h.request('GET', '/.well-known/jwks.json'));
    expect(jwks.keys.map((k) => k.kid)).toEqual([next.kid]);
  });

  it('when a token names an unknown kid or none, then 401 even if signed by a configured key', async () => {
    const h = await withKeys(old, next);
    const t = await h.createTenant();
    const { importJWK } = await import('jose');
    const key = await importJWK(next, 'EdDSA');
    const sign = (header: Record<string, unknown>) =>
      new SignJWT({ role: 'tenant_admin', tid: t.id })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header })
        .setIssuer('tenantry')
        .setAudience('tenantry-api')
        .setSubject(t.adminId)
        .setJti(randomBytes(8).toString('hex'))
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
    expect((await students(h, await sign({ kid: next.kid }))).status).toBe(200);
    await expectProblem(await students(h, await sign({ kid: 'no-such-key' })), 401, 'unauthorized');
    await expectProblem(await students(h, await sign({})), 401, 'unauthorized');
    // The old key's kid on a token signed by the new key: the signature does not verify.
    await expectProblem(await students(h, await sign({ kid: old.kid })), 401, 'unauthorized');
  });
});

describe('signing keys as a PEM list', () => {
  it('when JWT_SIGNING_KEYS is a kid:PEM list, then the last key signs, tokens of the first still work and the JWKS lists both', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = () =>
      generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString()
        .replace(/\n/g, '\\n');
    const [a, b] = [`pem-a-${randomBytes(3).toString('hex')}`, `pem-b-${randomBytes(3).toString('hex')}`];
    const [pemA, pemB] = [pem(), pem()];
    const first = await createHarness({ env: { JWT_SIGNING_KEYS: `${a}:${pemA}` } });
    harnesses.push(first);
    const t = await first.createTenant();
    const login = () =>
      first.request('POST', '/api/v1/auth/login', {
        body: { tenant: t.slug, email: t.adminEmail, password: t.adminPassword },
      });
    const byA = (await readJson<{ accessToken: string }>(await login())).accessToken;
    expect(kidOf(byA)).toBe(a);

    const h = await createHarness({ env: { JWT_SIGNING_KEYS: `${a}:${pemA},${b}:${pemB}` } });
    harnesses.push(h);
    const res = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: t.slug, email: t.adminEmail, password: t.adminPassword },
    });
    const byB = (await readJson<{ accessToken: string }>(res)).accessToken;
    expect(kidOf(byB)).toBe(b);
    expect((await students(h, byA)).status).toBe(200);
    expect((await students(h, byB)).status).toBe(200);
    const jwks = await readJson<{ keys: JWK[] }>(await h.request('GET', '/.well-known/jwks.json'));
    expect(jwks.keys.map((k) => k.kid)).toEqual([a, b]);
    expect(jwks.keys.every((k) => k.d === undefined && k.crv === 'Ed25519')).toBe(true);
  });
});
