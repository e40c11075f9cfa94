import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadKeyRing, loadSigningKeys } from '../../src/config/keys.js';
import { createTokenService } from '../../src/services/tokens.js';

const ed25519Pem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().trim();
const rsaPem = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const escaped = (pem: string) => pem.replace(/\n/g, '\\n');
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
const principal = {
  kind: 'tenant' as const,
  userId: '01937a1e-0000-7000-8000-000000000001',
  tenantId: '01937a1e-0000-7000-8000-000000000002',
  role: 'staff' as const,
};
const tokensOf = async (value: string) =>
  createTokenService({ keys: await loadKeyRing(value), issuer: 'i', audience: 'a', ttlSeconds: 60 });

describe('JWT_SIGNING_KEYS as a PEM list', () => {
  it('when two kid:PEM entries are given, then the last signs, both verify and both are public in the JWKS', async () => {
    const [a, b] = [ed25519Pem(), ed25519Pem()];
    const older = await tokensOf(`old-1:${a}`);
    const tokens = await tokensOf(`old-1:${a},\n new-2:${b}`);
    const { accessToken } = await tokens.issue(principal);
    expect(kidOf(accessToken)).toBe('new-2');
    await expect(tokens.verify(accessToken)).resolves.toMatchObject(principal);
    const byOld = (await older.issue(principal)).accessToken;
    await expect(tokens.verify(byOld)).resolves.toMatchObject(principal);
    const jwks = (await tokens.jwks()).keys as JWK[];
    expect(jwks.map((k) => k.kid)).toEqual(['old-1', 'new-2']);
    for (const k of jwks) expect(k).not.toHaveProperty('d');
  });

  it('when the PEMs are written with \\n escapes on one line, then they load the same keys', async () => {
    const [a, b] = [ed25519Pem(), ed25519Pem()];
    const multiline = await loadKeyRing(`k1:${a},k2:${b}`);
    const oneLine = await loadKeyRing(`k1:${escaped(a)},k2:${escaped(b)}`);
    expect(oneLine.verifying?.map((k) => k.publicJwk)).toEqual(multiline.verifying?.map((k) => k.publicJwk));
    expect(oneLine.kid).toBe('k2');
  });

  it('when a JWK set and a PEM list hold the same keys, then they sign with the same kid and publish the same JWKS', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'same' };
    const { createPrivateKey } = await import('node:crypto');
    const pem = createPrivateKey({ key: jwk as never, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' });
    const fromJwk = await loadKeyRing(JSON.stringify({ keys: [jwk] }));
    const fromPem = await loadKeyRing(`same:${pem.toString()}`);
    expect(fromPem.publicJwk).toEqual(fromJwk.publicJwk);
  });

  it('when the value is malformed, then loading fails with a message naming the entry and the rule', async () => {
    const good = ed25519Pem();
    const cases: [string, RegExp][] = [
      ['not a key at all', /entry 1 is not "kid:-----BEGIN PRIVATE KEY-----/],
      [good, /entry 1 is not "kid:/],
      [`k1:${good},${good}`, /entry 2 is not "kid:/],
      [`k1:${good};k2:${good}`, /entry 1 is not "kid:/],
      [`bad kid:${good}`, /entry 1 is not|kid/],
      [`k/1:${good}`, /entry 1: the kid "k\/1"/],
      [`k1:${good},k1:${ed25519Pem()}`, /repeated kid/],
      [`k1:${good},rsa:${rsaPem()}`, /entry 2 \(kid rsa\): not an Ed25519 private key/],
      [
        `k1:-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----`,
        /entry 1 \(kid k1\): not an Ed25519 private key/,
      ],
      ['{"keys":[]}', /has no keys/],
      ['{"keys":', /must be a JWK set/],
      [' ', /has no keys/],
    ];
    for (const [value, message] of cases) {
      await expect(loadKeyRing(value), value.slice(0, 40)).rejects.toThrow(message);
    }
  });

  it('when JWT_SIGNING_KEYS is set beside JWT_PRIVATE_KEY, then the list wins', async () => {
    const keys = await loadSigningKeys({
      keySet: `a:${ed25519Pem()},b:${ed25519Pem()}`,
      privateKey: ed25519Pem(),
      keyId: 'single',
      dataDir: mkdtempSync(join(tmpdir(), 'tenantry-keys-')),
    });
    expect(keys.kid).toBe('b');
    expect(keys.verifying?.map((k) => k.kid)).toEqual(['a', 'b']);
  });
});
