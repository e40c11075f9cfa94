import { randomBytes, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { expectProblem } from '../support/http-fixtures.js';
import { appWithKnownKey, b64url, nowS, signWith, tenantClaims, unsigned } from '../support/token-forge.js';

let h: Harness;
let keyed: Awaited<ReturnType<typeof appWithKnownKey>>;
let t: TestTenant;
beforeAll(async () => {
  h = await createHarness();
  keyed = await appWithKnownKey(h);
  t = await h.createTenant();
});
afterAll(() => h.close());

const STUDENTS = '/api/v1/students';

async function expectUnauthorized(res: Response) {
  // RFC 6750: plain Bearer when no token was sent, invalid_token when one was refused.
  expect(res.headers.get('www-authenticate')).toMatch(
    /^Bearer(?: error="invalid_token", error_description="[^"\\]+")?$/,
  );
  await expectProblem(res, 401, 'unauthorized');
}

/** Replaces one character in the middle of a token segment (the last one may carry padding bits). */
function flipChar(segment: string): string {
  const i = Math.floor(segment.length / 2);
  return segment.slice(0, i) + (segment[i] === 'A' ? 'B' : 'A') + segment.slice(i + 1);
}

describe('access tokens that must be refused', () => {
  const cases: [string, () => Promise<string>][] = [
    [
      'the signature is tampered with',
      async () => {
        const [head, body, sig] = (await keyed.sign(tenantClaims(t.id, t.adminId))).split('.');
        return `${head}.${body}.${flipChar(sig ?? '')}`;
      },
    ],
    [
      'the payload is changed under a valid signature',
      async () => {
        const [head, , sig] = (await keyed.sign(tenantClaims(t.id, t.adminId, { role: 'viewer' }))).split('.');
        return `${head}.${b64url(JSON.stringify(tenantClaims(t.id, t.adminId)))}.${sig}`;
      },
    ],
    ['it is unsigned (alg none)', async () => unsigned(tenantClaims(t.id, t.adminId))],
    [
      'it is alg none carrying a real signature',
      async () =>
        unsigned(tenantClaims(t.id, t.adminId), (await keyed.sign(tenantClaims(t.id, t.adminId))).split('.')[2]),
    ],
    [
      'it is signed by a foreign Ed25519 key under the trusted kid',
      async () => {
        const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
        return signWith(privateKey, tenantClaims(t.id, t.adminId), {
          alg: 'EdDSA',
          typ: 'at+jwt',
          kid: keyed.keys.kid,
        });
      },
    ],
    [
      'it is HS256 with a random secret',
      async () => signWith(randomBytes(32), tenantClaims(t.id, t.adminId), { alg: 'HS256', typ: 'at+jwt' }),
    ],
    [
      'it is HS256 keyed with the public key bytes (algorithm confusion)',
      async () =>
        signWith(Buffer.from(keyed.keys.publicJwk.x ?? '', 'base64url'), tenantClaims(t.id, t.adminId), {
          alg: 'HS256',
          typ: 'at+jwt',
        }),
    ],
    [
      'it is HS256 keyed with the published JWK text',
      async () =>
        signWith(Buffer.from(JSON.stringify(keyed.keys.publicJwk)), tenantClaims(t.id, t.adminId), {
          alg: 'HS256',
          typ: 'at+jwt',
        }),
    ],
    ['it is expired', async () => keyed.sign(tenantClaims(t.id, t.adminId, { iat: nowS() - 1000, exp: nowS() - 100 }))],
    [
      'it lives longer than the access-token lifetime',
      async () => keyed.sign(tenantClaims(t.id, t.adminId, { iat: nowS() - 3600, exp: nowS() + 600 })),
    ],
    ['it has no exp', async () => keyed.sign(tenantClaims(t.id, t.adminId, { exp: undefined }))],
    ['it has a wrong issuer', async () => keyed.sign(tenantClaims(t.id, t.adminId, { iss: 'https://evil.example' }))],
    ['it has a wrong audience', async () => keyed.sign(tenantClaims(t.id, t.adminId, { aud: 'another-api' }))],
    ['it has no typ', async () => keyed.sign(tenantClaims(t.id, t.adminId), { alg: 'EdDSA' })],
    [
      'it has typ JWT (an id token, not an access token)',
      async () => keyed.sign(tenantClaims(t.id, t.adminId), { alg: 'EdDSA', typ: 'JWT' }),
    ],
    ['it claims an unknown role', async () => keyed.sign(tenantClaims(t.id, t.adminId, { role: 'superuser' }))],
    [
      'it is a platform role that also names a tenant',
      async () => keyed.sign(tenantClaims(t.id, t.adminId, { role: 'platform_admin' })),
    ],
    ['its tenant id is not a uuid', async () => keyed.sign(tenantClaims("' OR 1=1 --", t.adminId))],
    ['it names a user that does not exist in the tenant', async () => keyed.sign(tenantClaims(t.id, randomUUID()))],
  ];

  for (const [what, build] of cases) {
    it(`when ${what}, then 401 unauthorized with WWW-Authenticate: Bearer`, async () => {
      await expectUnauthorized(await keyed.get(STUDENTS, `Bearer ${await build()}`));
    });
  }

  const headers: [string, () => Promise<string | undefined>][] = [
    ['the Authorization header is missing', async () => undefined],
    ['the token is a garbage string', async () => 'Bearer not-a-token'],
    ['the token is three garbage segments', async () => 'Bearer a.b.c'],
    ['the Bearer scheme carries no token', async () => 'Bearer '],
    [
      'a valid token is sent with the Basic scheme',
      async () => `Basic ${await keyed.sign(tenantClaims(t.id, t.adminId))}`,
    ],
    ['Basic credentials are sent', async () => `Basic ${b64url(`${t.adminEmail}:${t.adminPassword}`)}`],
  ];

  for (const [what, build] of headers) {
    it(`when ${what}, then 401 unauthorized with WWW-Authenticate: Bearer`, async () => {
      await expectUnauthorized(await keyed.get(STUDENTS, await build()));
    });
  }

  it('when a token from the harness key is sent to an app with another key, then 401', async () => {
    await expectUnauthorized(await keyed.get(STUDENTS, `Bearer ${t.token}`));
  });
});

describe('access tokens that must be accepted', () => {
  it('when the claims and header are exactly what the app issues, then 200', async () => {
    const res = await keyed.get(STUDENTS, `Bearer ${await keyed.sign(tenantClaims(t.id, t.adminId))}`);
    expect(res.status).toBe(200);
  });

  it('when the app issues a token itself, then it is an EdDSA at+jwt and it is accepted', async () => {
    const token = (
      await keyed.tokens.issue({ kind: 'tenant', tenantId: t.id, userId: t.adminId, role: 'tenant_admin' })
    ).accessToken;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: keyed.keys.kid });
    expect((await keyed.get(STUDENTS, `Bearer ${token}`)).status).toBe(200);
  });

  it("when the harness app's own token is used on the harness app, then 200", async () => {
    expect((await h.request('GET', STUDENTS, { token: t.token })).status).toBe(200);
  });
});
