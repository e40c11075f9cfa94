import { type CryptoKey, type JWK, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { SigningKeys } from '../config/keys.js';
import { DomainError, Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { tenantOfKid } from './tenant-keys.js';

export interface TokenService {
  issue(principal: Principal): Promise<{ accessToken: string; expiresIn: number }>;
  /** Verifies an access token strictly; every failure is `unauthorized`. */
  verify(token: string): Promise<Principal>;
  /** Every key that may still verify a live token (the tenants' own too, when they have keys). */
  jwks(): Promise<{ keys: object[] }>;
}

const CLOCK_TOLERANCE_S = 5;

/** The token names a key that is not one of ours: someone else's token, or a forgery. */
class NotOurKey extends Error {}

const Claims = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['tenant_admin', 'staff', 'viewer']), sub: z.uuid(), tid: z.uuid() }),
  z.object({ role: z.literal('platform_admin'), sub: z.uuid(), tid: z.never().optional() }),
]);

/**
 * Already-verified tokens, keyed by the exact token string and kept until their `exp`, so a
 * client's repeated requests skip the signature check (~100 µs of EdDSA each). Bounded; the
 * oldest entries go first. Only successful verifications are cached.
 */
interface CachedToken {
  principal: Principal;
  exp: number;
  /** Signed by a tenant's own key: that key is checked again on every hit (it may be revoked). */
  tenantKid?: string;
}

class VerifiedTokenCache {
  private readonly entries = new Map<string, CachedToken>();
  constructor(private readonly max: number) {}

  get(token: string, nowS: number): CachedToken | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.exp <= nowS) {
      this.entries.delete(token);
      return undefined;
    }
    return hit;
  }

  set(token: string, entry: CachedToken): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, entry);
  }
}

/** Per-tenant signing keys (TENANT_SIGNING_KEYS): what signing and verification need of them. */
export interface TenantKeySource {
  signingKey(tenantId: string): Promise<{ kid: string; privateKey: CryptoKey }>;
  /** Refuses (unauthorized) a kid that is unknown, revoked or retired too long ago. */
  verificationKey(tenantId: string, kid: string): Promise<CryptoKey>;
  jwks(): Promise<JWK[]>;
}

export function createTokenService(opts: {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  cacheSize?: number;
  /**
   * Tokens whose kid is none of ours (or that carry none) go here when an external identity
   * provider is configured: its verifier and user mapping, answering the principal and until
   * when it may be cached.
   */
  external?: {
    /** The provider's algorithm allow-list: jose checks `alg` before any key is looked up. */
    algorithms: readonly string[];
    verify(token: string): Promise<{ principal: Principal; expiresAt: number }>;
  };
  /** Tenant tokens signed by each tenant's own key (kid `<tenant id>.<hex>`). */
  tenantKeys?: TenantKeySource;
}): TokenService {
  const { keys, issuer, audience, ttlSeconds } = opts;
  const cache = new VerifiedTokenCache(opts.cacheSize ?? 10_000);
  const ring = new Map((keys.verifying ?? [keys]).map((k) => [k.kid, k.publicKey]));
  // Verification picks the key by the token's kid; a token without one, or naming a key that
  // is not (or no longer) configured, is refused.
  const { tenantKeys } = opts;
  /** The key by the token's kid: the configured ring, a tenant's own key, or none of ours. */
  const keyFor = async (header: { kid?: string; alg?: string }, used: { tenantKid?: string }) => {
    const key = header.kid === undefined ? undefined : ring.get(header.kid);
    const tenantId = key || !tenantKeys ? null : tenantOfKid(header.kid);
    if (!key && !tenantId) throw new NotOurKey();
    // With a provider configured the allow-list below is wider; our own keys stay EdDSA only.
    if (header.alg !== keys.alg) throw Errors.invalidToken('algorithm not allowed');
    if (key) return key;
    used.tenantKid = header.kid;
    return tenantKeys!.verificationKey(tenantId!, header.kid!);
  };
  const algorithms = [keys.alg, ...(opts.external?.algorithms ?? []).filter((a) => a !== keys.alg)];
  return {
    async issue(principal) {
      const claims: Record<string, unknown> = { role: principal.role };
      if (principal.kind === 'tenant') claims.tid = principal.tenantId;
      const signer = principal.kind === 'tenant' && tenantKeys ? await tenantKeys.signingKey(principal.tenantId) : keys;
      const accessToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: keys.alg, typ: 'at+jwt', kid: signer.kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(principal.userId)
        .setJti(newId())
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(signer.privateKey);
      return { accessToken, expiresIn: ttlSeconds };
    },

    async verify(token) {
      const now = Math.floor(Date.now() / 1000);
      const cached = cache.get(token, now);
      if (cached) {
        if (cached.tenantKid && cached.principal.kind === 'tenant') {
          await tenantKeys?.verificationKey(cached.principal.tenantId, cached.tenantKid);
        }
        return cached.principal;
      }
      const used: { tenantKid?: string } = {};
      try {
        // jose is permissive unless told otherwise: pin every option.
        const { payload } = await jwtVerify(token, (header) => keyFor(header, used), {
          algorithms,
          issuer,
          audience,
          typ: 'at+jwt',
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
          maxTokenAge: ttlSeconds,
          clockTolerance: CLOCK_TOLERANCE_S,
        });
        const claims = Claims.safeParse(payload);
        if (!claims.success) throw Errors.invalidToken('token claims are invalid');
        const c = claims.data;
        const principal: Principal =
          c.role === 'platform_admin'
            ? { kind: 'platform', userId: c.sub, role: c.role }
            : { kind: 'tenant', userId: c.sub, tenantId: c.tid, role: c.role, issuedAt: payload.iat };
        // A tenant's key signs that tenant's user tokens only.
        if (used.tenantKid && (principal.kind !== 'tenant' || tenantOfKid(used.tenantKid) !== principal.tenantId)) {
          throw Errors.invalidToken('the signing key belongs to another tenant');
        }
        // A token is never trusted past the shorter of its exp and iat + the maximum lifetime.
        cache.set(token, {
          principal,
          exp: Math.min(payload.exp!, (payload.iat ?? now) + ttlSeconds),
          tenantKid: used.tenantKid,
        });
        return principal;
      } catch (err) {
        if (err instanceof NotOurKey) {
          if (!opts.external) throw Errors.invalidToken('unknown signing key');
          const { principal, expiresAt } = await opts.external.verify(token);
          cache.set(token, { principal, exp: expiresAt });
          return principal;
        }
        if (err instanceof DomainError) throw err;
        if (err instanceof joseErrors.JWTExpired) throw Errors.invalidToken('token expired');
        // Any other jose error, and TypeErrors from key or algorithm confusion, is a bad token.
        throw Errors.invalidToken('invalid token');
      }
    },

    async jwks() {
      const own = (keys.verifying ?? [keys]).map((k) => k.publicJwk);
      return { keys: tenantKeys ? [...own, ...(await tenantKeys.jwks())] : own };
    },
  };
}
