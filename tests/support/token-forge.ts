import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { loadSigningKeys, type SigningKeys } from '../../src/config/keys.js';
import { createTokenService } from '../../src/services/tokens.js';
import type { Harness } from './harness.js';

export const ISSUER = 'tenantry';
export const AUDIENCE = 'tenantry-api';

export const b64url = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
export const nowS = () => Math.floor(Date.now() / 1000);

/** Claims exactly as the app issues them for a tenant user; override or delete (undefined) any. */
export function tenantClaims(tenantId: string, userId: string, over: Record<string, unknown> = {}): JWTPayload {
  const now = nowS();
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: userId,
    tid: tenantId,
    role: 'tenant_admin',
    jti: randomUUID(),
    iat: now,
    exp: now + 900,
    ...over,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  return claims;
}

export async function signWith(
  key: CryptoKey | Uint8Array | SigningKeys['privateKey'],
  payload: JWTPayload,
  header: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
}

/** An unsigned token (`alg: none`), which jose itself refuses to build. */
export const unsigned = (payload: JWTPayload, signature = '') =>
  `${b64url(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${b64url(JSON.stringify(payload))}.${signature}`;

/**
 * The app on the harness's services and database, configured with a signing key this test
 * knows (as JWT_PRIVATE_KEY would), so tokens with chosen claims can be signed with the very
 * key the app trusts: only then does a wrong issuer or a missing exp test the claim checks
 * rather than the signature check.
 */
export async function appWithKnownKey(h: Harness) {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const keys = await loadSigningKeys({
    privateKey: JSON.stringify(await exportJWK(privateKey)),
    dataDir: h.db.dataDir,
  });
  const tokens = createTokenService({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900 });
  const app = createApp({ services: { ...h.services, tokens }, logger: pino({ level: 'silent' }) });
  return {
    keys,
    tokens,
    /** Signs chosen claims with the trusted key; the header defaults to what the app issues. */
    sign: (payload: JWTPayload, header: Record<string, unknown> = { alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid }) =>
      signWith(keys.privateKey, payload, header),
    get: (path: string, authorization?: string) =>
      Promise.resolve(app.request(path, { headers: authorization === undefined ? {} : { authorization } })),
  };
}
