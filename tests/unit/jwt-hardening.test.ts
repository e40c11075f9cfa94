import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompactEncrypt,
  CompactSign,
  type CryptoKey,
  FlattenedSign,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSigningKeys, type SigningKeys } from '../../src/config/keys.js';
import { createTokenService } from '../../src/services/tokens.js';

// Every jose option that is loose by default, pinned in src/services/tokens.ts, has a test
// here that fails if the option is removed: a token jose alone would accept is refused.
const ISSUER = 'tenantry';
const AUDIENCE = 'tenantry-api';
const TTL = 900;
let keys: SigningKeys;

beforeAll(async () => {
  keys = await loadSigningKeys({ dataDir: mkdtempSync(join(tmpdir(), 'tenantry-jwt-')) });
});
afterEach(() => {
  vi.useRealTimers();
});

const service = () => createTokenService({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TTL });
const nowS = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const HEADER = () => ({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.kid });

function claims(over: Record<string, unknown> = {}): JWTPayload {
  const now = nowS();
  const base: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: randomUUID(),
    tid: randomUUID(),
    role: 'staff',
    jti: randomUUID(),
    iat: now,
    exp: now + TTL,
    ...over,
  };
  for (const [k, v] of Object.entries(base)) if (v === undefined) delete base[k];
  return base;
}

const sign = (payload: JWTPayload, header: Record<string, unknown> = HEADER(), key: unknown = keys.privateKey) =>
  new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key as Uint8Array);

/** Signs header and payload with the trusted key by hand, for headers jose refuses to produce. */
async function rawSign(header: Record<string, unknown>, payload: JWTPayload) {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = await crypto.subtle.sign('Ed25519', keys.privateKey as CryptoKey, Buffer.from(input));
  return `${input}.${Buffer.from(sig).toString('base64url')}`;
}

/** The domain error, never a raw throw of jose, TypeError or anything else. */
async function expectRefused(token: unknown) {
  const err = await service()
    .verify(token as string)
    .then(
      () => 'accepted',
      (e: unknown) => e,
    );
  expect(err).toMatchObject({ name: 'DomainError', code: 'unauthorized' });
}
const expectAccepted = async (token: string) =>
  expect(await service().verify(token)).toMatchObject({ kind: 'tenant', role: 'staff' });

describe('JWT verification options', () => {
  it('when the claims and header are exactly what the app issues, then the token is accepted (control)', async () => {
    await expectAccepted(await sign(claims()));
    await expectAccepted(await rawSign(HEADER(), claims()));
  });

  it('when the alg is not EdDSA, then the token is refused, even Ed25519 signed by the trusted key (algorithms)', async () => {
    // jose without `algorithms` accepts alg "Ed25519" for this key; HS256/ES256/RS256 would then
    // reach key-type checks that throw TypeError, which must still map to unauthorized.
    await expectRefused(await sign(claims(), { alg: 'Ed25519', typ: 'at+jwt' }));
    const x = Buffer.from(keys.publicJwk.x as string, 'base64url');
    await expectRefused(await sign(claims(), { alg: 'HS256', typ: 'at+jwt' }, x));
    await expectRefused(
      await sign(claims(), { alg: 'HS256', typ: 'at+jwt' }, Buffer.from(JSON.stringify(keys.publicJwk))),
    );
    await expectRefused(
      await sign(claims(), { alg: 'ES256', typ: 'at+jwt' }, (await generateKeyPair('ES256')).privateKey),
    );
    await expectRefused(
      await sign(claims(), { alg: 'RS256', typ: 'at+jwt' }, (await generateKeyPair('RS256')).privateKey),
    );
    await expectRefused(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}.`);
  });

  it('when iss is wrong or missing, then the token is refused (issuer)', async () => {
    await expectRefused(await sign(claims({ iss: 'evil' })));
    await expectRefused(await sign(claims({ iss: undefined })));
  });

  it('when aud is wrong, missing or a list without ours, then the token is refused (audience)', async () => {
    await expectRefused(await sign(claims({ aud: 'other-api' })));
    await expectRefused(await sign(claims({ aud: undefined })));
    await expectRefused(await sign(claims({ aud: ['other-api', 'another'] })));
  });

  it('when exp, iat, sub or jti is missing, then the token is refused (requiredClaims)', async () => {
    for (const missing of ['exp', 'iat', 'sub', 'jti']) {
      await expectRefused(await sign(claims({ [missing]: undefined })));
    }
  });

  it('when iat is 20 minutes old, then the token is refused though its exp is far ahead (maxTokenAge)', async () => {
    await expectRefused(await sign(claims({ iat: nowS() - 20 * 60, exp: nowS() + 86_400 })));
    await expectAccepted(await sign(claims({ iat: nowS() - 14 * 60, exp: nowS() + 60 })));
  });

  it('when a token with exp a day ahead outlives the maximum lifetime, then it is refused from then on (maxTokenAge)', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T00:00:00Z') });
    const tokens = service();
    const token = await sign(claims({ exp: nowS() + 86_400 }));
    await expect(tokens.verify(token)).resolves.toMatchObject({ kind: 'tenant' });
    vi.setSystemTime(new Date(Date.now() + (TTL + 30) * 1000));
    await expect(tokens.verify(token)).rejects.toMatchObject({ name: 'DomainError', code: 'unauthorized' });
  });

  it('when typ is JWT or missing, then the token is refused (typ)', async () => {
    await expectRefused(await sign(claims(), { alg: 'EdDSA', typ: 'JWT', kid: keys.kid }));
    await expectRefused(await sign(claims(), { alg: 'EdDSA', kid: keys.kid }));
  });

  it('when exp passed 3 s ago it is accepted, 10 s ago refused; the same for iat and nbf ahead (clockTolerance)', async () => {
    const iat = nowS() - 60;
    await expectAccepted(await sign(claims({ iat, exp: nowS() - 3 })));
    await expectRefused(await sign(claims({ iat, exp: nowS() - 10 })));
    await expectAccepted(await sign(claims({ iat: nowS() + 3 })));
    await expectRefused(await sign(claims({ iat: nowS() + 10 })));
    await expectRefused(await sign(claims({ nbf: nowS() + 10 })));
  });
});

describe('every failure is unauthorized', () => {
  it('when the token is malformed, encrypted, critical, unencoded or not an object, then unauthorized, never a raw throw', async () => {
    const [h, p, s] = (await sign(claims())).split('.') as [string, string, string];
    const secret = randomBytes(32);
    const jwe = await new CompactEncrypt(Buffer.from(JSON.stringify(claims())))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' })
      .encrypt(secret);
    // Validly signed over an unencoded (b64: false) payload, which JWTs must not use.
    const raw = JSON.stringify(claims());
    const flat = await new FlattenedSign(Buffer.from(raw))
      .setProtectedHeader({ ...HEADER(), b64: false, crit: ['b64'] })
      .sign(keys.privateKey);
    const unencoded = `${flat.protected}.${raw}.${flat.signature}`;
    const notObject = await new CompactSign(Buffer.from('[1]')).setProtectedHeader(HEADER()).sign(keys.privateKey);
    const attacker = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    for (const token of [
      '',
      'not-a-jwt',
      `${h}.${p}`,
      jwe,
      `${h}.${p}.${s}!!`,
      `${h}é.${p}.${s}`,
      `${b64('{"alg":')}.${p}.${s}`,
      await rawSign({ ...HEADER(), crit: ['exp'] }, claims()),
      await rawSign({ ...HEADER(), crit: ['b64'] }, claims()),
      unencoded,
      notObject,
      await sign(claims({ exp: 'tomorrow' })),
      await sign(claims({ tid: undefined })),
      await sign(claims({ role: 'superuser' })),
      await sign(claims(), { ...HEADER(), kid: '../../../../etc/passwd' }, attacker.privateKey),
      await sign(claims(), { ...HEADER(), jwk: keys.publicJwk }, attacker.privateKey),
      undefined,
      12345,
    ]) {
      await expectRefused(token);
    }
  });

  it('when jose throws a TypeError, RangeError or a non-Error, then verify still answers unauthorized', async () => {
    const token = await sign(claims());
    for (const thrown of [new TypeError('key type confusion'), new RangeError('out of range'), 'a string', undefined]) {
      vi.resetModules();
      vi.doMock('jose', async (original) => ({
        ...(await original<typeof import('jose')>()),
        jwtVerify: async () => {
          throw thrown;
        },
      }));
      const { createTokenService: create } = await import('../../src/services/tokens.js');
      const tokens = create({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TTL });
      await expect(tokens.verify(token)).rejects.toMatchObject({ name: 'DomainError', code: 'unauthorized' });
      vi.doUnmock('jose');
    }
  });
});

const sourceFiles = () =>
  (readdirSync('src', { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.startsWith('generated'))
    .map((f) => join('src', f));

/** The text of the first call of `name` in `source`, up to its balanced closing parenthesis. */
function callText(source: string, name: string): string {
  const start = source.indexOf(`${name}(`);
  expect(start, `${name}( is called`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = start + name.length; i < source.length; i++) {
    if (source[i] === '(') depth++;
    if (source[i] === ')' && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(`unbalanced ${name}(`);
}

const IDP_VERIFIER = join('src', 'services', 'external-tokens.ts');

describe('no decoding for decisions', () => {
  it('when src/ is read, then no file uses decodeJwt, decodeProtectedHeader, EmbeddedJWK or UnsecuredJWT', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(20);
    const forbidden = /\b(decodeJwt|decodeProtectedHeader|EmbeddedJWK|UnsecuredJWT)\b/;
    const uses = files.filter((f) => forbidden.test(readFileSync(f, 'utf8')));
    expect(uses).toEqual([]);
    const verifiers = files.filter((f) =>
      /\b(jwtVerify|compactVerify|flattenedVerify)\b/.test(readFileSync(f, 'utf8')),
    );
    expect(verifiers.sort()).toEqual([IDP_VERIFIER, join('src', 'services', 'tokens.ts')].sort());
  });
});

describe('the one remote key set', () => {
  it('when src/ is read, then createRemoteJWKSet is used exactly once, in the identity-provider verifier', () => {
    const uses = sourceFiles().flatMap((f) =>
      (readFileSync(f, 'utf8').match(/\bcreateRemoteJWKSet\(/g) ?? []).map(() => f),
    );
    expect(uses).toEqual([IDP_VERIFIER]);
  });

  it('when the remote key set is created, then it has a timeout, a cooldown and a bounded cache age from configuration', () => {
    const call = callText(readFileSync(IDP_VERIFIER, 'utf8'), 'createRemoteJWKSet');
    for (const option of ['timeoutDuration', 'cooldownDuration', 'cacheMaxAge']) {
      expect(call, option).toMatch(new RegExp(`\\b${option}: opts\\.\\w+`));
    }
  });

  it("when the provider's tokens are verified, then algorithms, issuer, audience, required exp/iat/sub, maxTokenAge and clockTolerance are pinned", () => {
    const call = callText(readFileSync(IDP_VERIFIER, 'utf8'), 'jwtVerify');
    expect(call).toMatch(/\balgorithms: opts\.algorithms\b/);
    expect(call).toMatch(/\bissuer: opts\.issuer\b/);
    expect(call).toMatch(/\baudience: opts\.audience\b/);
    expect(call).toMatch(/\brequiredClaims: \[[^\]]*'exp'[^\]]*\]/);
    expect(call).toMatch(/\brequiredClaims: \[[^\]]*'iat'[^\]]*'sub'[^\]]*\]/);
    expect(call).toMatch(/\bmaxTokenAge: opts\.maxTokenAgeSeconds\b/);
    expect(call).toMatch(/\bclockTolerance: CLOCK_TOLERANCE_S\b/);
  });

  it('when the configuration offers a symmetric or "none" algorithm, then it is refused at start', async () => {
    const { parseEnv } = await import('../../src/config/env.js');
    const base = {
      AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      AUTH_ISSUER: 'https://idp.example/',
      AUTH_AUDIENCE: 'tenantry-api',
    };
    expect(parseEnv(base).AUTH_ALGORITHMS).toEqual(['RS256']);
    expect(parseEnv({ ...base, AUTH_ALGORITHMS: 'RS256, ES256' }).AUTH_ALGORITHMS).toEqual(['RS256', 'ES256']);
    for (const algorithms of ['HS256', 'none', 'RS256,HS512', '']) {
      expect(() => parseEnv({ ...base, AUTH_ALGORITHMS: algorithms }), algorithms).toThrow(/AUTH_ALGORITHMS/);
    }
    expect(() => parseEnv({ AUTH_JWKS_URL: base.AUTH_JWKS_URL })).toThrow(/AUTH_ISSUER, AUTH_AUDIENCE/);
    expect(() => parseEnv({ ...base, AUTH_ROLE_MAP: 'admin=root' })).toThrow(/AUTH_ROLE_MAP/);
  });
});
