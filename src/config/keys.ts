import { randomBytes } from 'node:crypto';
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

const KID = /^[A-Za-z0-9._~-]{1,128}$/;

function ring(keys: SigningKeys[]): SigningKeys {
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new Error('JWT_SIGNING_KEYS has a repeated kid');
  const signing = keys.at(-1)!;
  return { ...signing, verifying: keys.map(({ kid, publicKey, publicJwk }) => ({ kid, publicKey, publicJwk })) };
}

async function fromPkcs8(pem: string, kid?: string): Promise<SigningKeys> {
  let key: CryptoKey | KeyObject;
  try {
    key = await importPKCS8(pem.replace(/\\n/g, '\n').trim(), 'EdDSA', { extractable: true });
  } catch {
    throw new Error('not an Ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)');
  }
  return fromPrivateJwk(await exportJWK(key), kid);
}

async function loadJwkSet(jwkSet: string): Promise<SigningKeys> {
  let parsed: { keys?: JWK[] };
  try {
    parsed = JSON.parse(jwkSet) as { keys?: JWK[] };
  } catch {
    throw new Error('JWT_SIGNING_KEYS must be a JWK set: {"keys":[{…},…]}');
  }
  const jwks = Array.isArray(parsed.keys) ? parsed.keys : [];
  if (jwks.length === 0) throw new Error('JWT_SIGNING_KEYS has no keys');
  const keys: SigningKeys[] = [];
  for (const jwk of jwks) {
    if (!jwk.kid) throw new Error('every key in JWT_SIGNING_KEYS needs a kid');
    keys.push(await fromPrivateJwk(jwk, jwk.kid));
  }
  return ring(keys);
}

// One entry of the PEM list: `kid:-----BEGIN PRIVATE KEY-----…-----END PRIVATE KEY-----`.
const PEM_ENTRY =
  /^\s*([^:\s,]*)\s*:\s*(-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\s]*-----END PRIVATE KEY-----)\s*(?:,|$)/;

/** The PEM list form: `kid1:<PEM>,kid2:<PEM>` (literal newlines or `\n` escapes in the PEMs). */
async function loadPemList(list: string): Promise<SigningKeys> {
  const keys: SigningKeys[] = [];
  let rest = list;
  while (rest.trim() !== '') {
    const n = keys.length + 1;
    const m = PEM_ENTRY.exec(rest);
    if (!m) {
      throw new Error(
        `JWT_SIGNING_KEYS entry ${n} is not "kid:-----BEGIN PRIVATE KEY-----…-----END PRIVATE KEY-----" (entries separated by commas)`,
      );
    }
    const [whole, kid = '', pem = ''] = m;
    if (!KID.test(kid))
      throw new Error(`JWT_SIGNING_KEYS entry ${n}: the kid "${kid}" must be 1–128 of A–Z a–z 0–9 . _ ~ -`);
    try {
      keys.push(await fromPkcs8(pem, kid));
    } catch (err) {
      throw new Error(`JWT_SIGNING_KEYS entry ${n} (kid ${kid}): ${(err as Error).message}`);
    }
    rest = rest.slice(whole.length);
  }
  if (keys.length === 0) throw new Error('JWT_SIGNING_KEYS has no keys');
  return ring(keys);
}

/**
 * Several keys for rotation, JWT_SIGNING_KEYS: a JWK set of Ed25519 private keys, each with its
 * `kid`, or a list of `kid:<PKCS#8 PEM>` entries separated by commas. In both forms the last
 * key signs (the newest); all of them verify, by `kid`. A malformed value stops the start with
 * a message naming the entry.
 */
export function loadKeyRing(value: string): Promise<SigningKeys> {
  return value.trim().startsWith('{') ? loadJwkSet(value) : loadPemList(value.replace(/\\n/g, '\n'));
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
    return fromPkcs8(text, opts.keyId);
  }
  const file = join(opts.dataDir, 'jwt-ed25519.json');
  if (existsSync(file)) return fromPrivateJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK, opts.keyId);
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kept = writeOnce(opts.dataDir, file, JSON.stringify(await exportJWK(privateKey)));
  return fromPrivateJwk(JSON.parse(kept) as JWK, opts.keyId);
}

function decodeKek(text: string, source: string): Buffer {
  const value = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) throw new Error(`${source} must be 32 bytes, as 64 hex digits or base64`);
  return bytes;
}

/**
 * The key that encrypts tenants' private signing keys at rest (AES-256-GCM):
 * TENANT_KEY_ENCRYPTION_KEY (32 bytes, hex or base64) when set, otherwise one generated at
 * first start and kept under the data directory, like the generated signing key.
 */
export function loadKeyEncryptionKey(opts: { value?: string; dataDir: string }): Buffer {
  if (opts.value) return decodeKek(opts.value, 'TENANT_KEY_ENCRYPTION_KEY');
  const file = join(opts.dataDir, 'tenant-kek.key');
  if (existsSync(file)) return decodeKek(readFileSync(file, 'utf8'), file);
  return decodeKek(writeOnce(opts.dataDir, file, randomBytes(32).toString('base64')), file);
}
