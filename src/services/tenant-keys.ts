import { randomBytes } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { PlatformRunner, TenantRunner } from '../db/context.js';
import {
  platformSigningKeyRepository,
  type SigningKeyRow,
  type SigningKeyWrite,
  tenantSigningKeyRepository,
} from '../db/repositories/signing-keys.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { DomainError, Errors } from '../domain/errors.js';
import { type ActorRef, adminIdOf, audited } from './audit.js';
import type { KeyEncryption } from './key-encryption.js';
import type { TenantCache } from './tenant-cache.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const JWKS_TTL_MS = 5000;
const TENANT_KID = new RegExp(`^(${UUID})\\.([0-9a-f]{16})$`);

/** A tenant key's kid is `<tenant id>.<16 hex digits>`; the tenant it names, or null for any other kid. */
export function tenantOfKid(kid: string | undefined): string | null {
  return kid === undefined ? null : (TENANT_KID.exec(kid)?.[1] ?? null);
}

interface VerifyingEntry {
  publicKey: CryptoKey;
  /** Epoch ms after which a retired key verifies nothing; null while it signs. */
  notAfter: number | null;
  revoked: boolean;
}

/**
 * Per-tenant signing keys (TENANT_SIGNING_KEYS=true): each tenant's access tokens are signed by
 * an Ed25519 key of its own whose private half is stored encrypted (AES-256-GCM). Keys are read
 * under the tenant's own context and cached in the tenant cache (`tenant:{id}:…`), so a
 * rotation or revocation, which invalidates the tenant, reaches every instance. A rotated key
 * keeps verifying for one token lifetime (`ttlSeconds` + clock tolerance); a revoked one
 * verifies nothing from then on. A tenant without a key (created before, restored or cloned
 * from an export, which carries no keys) gets one at its first token.
 */
export function createTenantKeys(deps: {
  tenantDb: TenantRunner;
  platformDb: PlatformRunner;
  cache: TenantCache;
  encryption: KeyEncryption;
  ttlSeconds: number;
  clockToleranceSeconds?: number;
}) {
  const window = (deps.ttlSeconds + (deps.clockToleranceSeconds ?? 5)) * 1000;
  const aad = (tenantId: string, kid: string) => `${tenantId}/${kid}`;
  let published: { keys: Promise<JWK[]>; until: number } | undefined;

  async function newKey(tenantId: string): Promise<SigningKeyWrite> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = `${tenantId}.${randomBytes(8).toString('hex')}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    const secret = JSON.stringify(await exportJWK(privateKey));
    return { kid, publicJwk, privateKeyEnc: deps.encryption.encrypt(secret, aad(tenantId, kid)) };
  }

  const listOwn = (tenantId: string) =>
    deps.tenantDb.tenant({ tenantId, userId: null }, (scope) => tenantSigningKeyRepository(scope).list());
  const signing = (rows: SigningKeyRow[]) => rows.find((r) => r.retiredAt === null && r.revokedAt === null);

  async function currentOrNew(tenantId: string): Promise<SigningKeyRow> {
    const found = signing(await listOwn(tenantId));
    if (found) return found;
    const data = await newKey(tenantId);
    try {
      return await deps.tenantDb.tenant({ tenantId, userId: null }, (scope) =>
        tenantSigningKeyRepository(scope).create(data),
      );
    } catch (err) {
      // Another request made the tenant's first key meanwhile: use that one.
      if (!(err instanceof DomainError && err.code === 'conflict')) throw err;
      const winner = signing(await listOwn(tenantId));
      if (!winner) throw err;
      return winner;
    }
  }

  async function platformChange(actor: ActorRef, tenantId: string, change: 'rotate' | 'revoke') {
    const now = new Date();
    const result = await deps.platformDb.platform(
      adminIdOf(actor),
      audited(actor, async ({ tx }) => {
        const tenant = await tenantRepository(tx).get(tenantId);
        if (!tenant) throw Errors.notFound('tenant');
        if (tenant.status === 'deleted') throw Errors.invalidTransition(`${change} the signing key of`, tenant.status);
        const keys = platformSigningKeyRepository(tx);
        const ended =
          change === 'rotate' ? await keys.retireCurrent(tenantId, now) : await keys.revokeAll(tenantId, now);
        const created = await keys.create(tenantId, await newKey(tenantId));
        return { ended, kid: created.kid };
      }),
    );
    deps.cache.invalidate(tenantId);
    published = undefined;
    return result;
  }

  return {
    newKey,

    /** The key that signs the tenant's tokens now. */
    signingKey(tenantId: string): Promise<{ kid: string; privateKey: CryptoKey }> {
      return deps.cache.load(tenantId, 'signing-key', async () => {
        const row = await currentOrNew(tenantId);
        const jwk = JSON.parse(deps.encryption.decrypt(row.privateKeyEnc, aad(tenantId, row.kid))) as JWK;
        return { kid: row.kid, privateKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey };
      });
    },

    /** The public key of one of the tenant's kids while it may verify; a refused token otherwise. */
    async verificationKey(tenantId: string, kid: string): Promise<CryptoKey> {
      const ring = await deps.cache.load(tenantId, 'verifying-keys', async () => {
        const entries = new Map<string, VerifyingEntry>();
        for (const row of await listOwn(tenantId)) {
          entries.set(row.kid, {
            publicKey: (await importJWK(row.publicJwk as JWK, 'EdDSA')) as CryptoKey,
            notAfter: row.retiredAt ? row.retiredAt.getTime() + window : null,
            revoked: row.revokedAt !== null,
          });
        }
        return entries;
      });
      const entry = ring.get(kid);
      if (!entry || entry.revoked || (entry.notAfter !== null && Date.now() > entry.notAfter)) {
        throw Errors.invalidToken('unknown signing key');
      }
      return entry.publicKey;
    },

    /**
     * Public halves of every tenant key that may still verify a live token. The route is public,
     * so one read serves every caller for a few seconds (a key change here starts a new read).
     */
    jwks(): Promise<JWK[]> {
      if (published && published.until > Date.now()) return published.keys;
      const keys = deps.platformDb
        .platform(null, ({ tx }) => platformSigningKeyRepository(tx).usable(new Date(Date.now() - window)))
        .then((rows) => rows.map((r) => r.publicJwk as JWK));
      published = { keys, until: Date.now() + JWKS_TTL_MS };
      keys.catch(() => {
        published = undefined;
      });
      return keys;
    },

    /**
     * A new key signs from now on; the previous one keeps verifying the tokens it signed until
     * they expire (one token lifetime).
     */
    async rotate(actor: ActorRef, tenantId: string) {
      const { ended, kid } = await platformChange(actor, tenantId, 'rotate');
      const verifiesUntil = new Date(Date.now() + window).toISOString();
      return { kid, retired: ended.map((k) => ({ kid: k, verifiesUntil })) };
    },

    /** Every key of the tenant stops verifying at once (its access tokens are refused); a new one signs. */
    async revoke(actor: ActorRef, tenantId: string) {
      const { ended, kid } = await platformChange(actor, tenantId, 'revoke');
      return { kid, revoked: ended };
    },
  };
}

export type TenantKeys = ReturnType<typeof createTenantKeys>;
