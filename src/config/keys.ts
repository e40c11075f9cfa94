import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JWK,
  type KeyObject,
} from 'jose';
import { writeOnce } from '../runtime/write-once.js';

export interface VerifyingKey {
  kid: string;
  publicKey: CryptoKey | KeyObject;
  publicJwk: JWK;
}

/** The key that signs, and every key that may still verify a live token (the signing one included). */
export interface SigningKeys extends VerifyingKey {
  alg: 'EdDSA';
  privateKey: CryptoKey | KeyObject;
  /** All keys accepted by `kid`; the signing key alone when unset. */
  verifying?: VerifyingKey[];
}

async function fromPrivateJwk(jwk: JWK, kid?: string): Promise<SigningKeys> {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d) throw new Error('JWT key must be an Ed25519 private JWK');
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  const id = kid ?? jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  return {
    kid: id,
    alg: 'EdDSA',
    privateKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
    publicKey: (await importJWK(publicJwk, 'EdDSA')) as CryptoKey,
    publicJwk: { ...publicJwk, kid: id, alg: 'EdDSA', use: 'sig' },
  };
}

/**
 * Several keys for rotation: JWT_SIGNING_KEYS, a JWK set of Ed25519 private keys, each with
 * its `kid`. The last one signs (the newest); all of them verify, by `kid`.
 */
export async function loadKeyRing(jwkSet: string): Promise<SigningKeys> {
  let parsed: { keys?: JWK[] };
  try {
    parsed = JSON.parse(jwkSet) as { keys?: JWK[] };
  } catch {
    throw new Error('JWT_SIGNING_KEYS must be a JWK set: {"keys":[{…},…]}');
  }
  const jwks = parsed.keys ?? [];
  if (jwks.length === 0) throw new Error('JWT_SIGNING_KEYS has no keys');
  const keys: SigningKeys[] = [];
  for (const jwk of jwks) {
    if (!jwk.kid) throw new Error('every key in JWT_SIGNING_KEYS needs a kid');
    keys.push(await fromPrivateJwk(jwk, jwk.kid));
  }
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new Error('JWT_SIGNING_KEYS has a repeated kid');
  const signing = keys.at(-1)!;
  return { ...signing, verifying: keys.map(({ kid, publicKey, publicJwk }) => ({ kid, publicKey, publicJwk })) };
}

/**
 * The access-token signing key: JWT_PRIVATE_KEY (an Ed25519 private key as PKCS#8 PEM or a
 * JWK) when set, otherwise one generated at first start and kept under the data directory.
 */
export async function loadSigningKeys(opts: {
  privateKey?: string;
  keyId?: string;
  /** JWT_SIGNING_KEYS: wins over the single key. */
  keySet?: string;
  dataDir: string;
}): Promise<SigningKeys> {
  if (opts.keySet) return loadKeyRing(opts.keySet);
  if (opts.privateKey) {
    const text = opts.privateKey.trim();
    if (text.startsWith('{')) return fromPrivateJwk(JSON.parse(text) as JWK, opts.keyId);
    const key = await importPKCS8(text.replace(/\\n/g, '\n'), 'EdDSA', { extractable: true });
    return fromPrivateJwk(await exportJWK(key), opts.keyId);
  }
  const file = join(opts.dataDir, 'jwt-ed25519.json');
  if (existsSync(file)) return fromPrivateJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK, opts.keyId);
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kept = writeOnce(opts.dataDir, file, JSON.stringify(await exportJWK(privateKey)));
  return fromPrivateJwk(JSON.parse(kept) as JWK, opts.keyId);
}
