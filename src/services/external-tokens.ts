import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { DomainError, Errors } from '../domain/errors.js';
import {
  claimAt,
  type ExternalAlgorithm,
  type ExternalIdentity,
  mapRole,
  parseRoleMap,
} from '../domain/external-identity.js';

export interface ExternalTokenOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  algorithms: ExternalAlgorithm[];
  tenantClaim: string;
  roleClaim: string;
  /** `AUTH_ROLE_MAP`; unset: the role claim must name a Tenantry role. */
  roleMap?: string;
  /** The header `typ` the provider's tokens must carry; unset: not checked. */
  tokenType?: string;
  maxTokenAgeSeconds: number;
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  /** A JWKS fetch failed (refused, timed out, not 200): the provider counts as down for the cooldown. */
  onProviderDown?: (reason: string) => void;
}

export interface ExternalTokenVerifier {
  /** Verifies an identity provider's access token strictly; refusals are domain errors (401, 403, 503). */
  verify(token: string): Promise<{ identity: ExternalIdentity; expiresAt: number }>;
}

const CLOCK_TOLERANCE_S = 5;
const text = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);

/**
 * Tokens of an external identity provider (Auth0, Keycloak, Supabase Auth …), verified against
 * its JWKS. The key set is fetched with a timeout and kept for `cacheMaxAge`; a token naming a
 * kid the set does not have refetches it at most once per `cooldown` (a storm of unknown kids
 * costs one fetch). When a fetch fails, the provider counts as down for the cooldown: tokens
 * that need a fetch are answered 503 at once instead of each waiting for the timeout.
 */
export function createExternalTokenVerifier(opts: ExternalTokenOptions): ExternalTokenVerifier {
  const roleMap = opts.roleMap ? parseRoleMap(opts.roleMap) : undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  const down = (reason: string) => {
    failedAt = Date.now();
    opts.onProviderDown?.(reason);
  };
  const recordingFetch: typeof fetch = async (input, init) => {
    try {
      const res = await fetch(input, init);
      if (res.status !== 200) down(`HTTP ${res.status}`);
      return res;
    } catch (err) {
      down((err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message);
      throw err;
    }
  };
  const remote = createRemoteJWKSet(new URL(opts.jwksUrl), {
    timeoutDuration: opts.timeoutMs,
    cooldownDuration: opts.cooldownMs,
    cacheMaxAge: opts.cacheMaxAgeMs,
    [customFetch]: recordingFetch,
  });
  const providerDown = () => Errors.unavailable('the identity provider does not answer');
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    const downRecently = Date.now() - failedAt < opts.cooldownMs;
    // A fresh set answers from memory; otherwise a fetch would be needed, and it failed just now.
    if (downRecently && !remote.fresh) throw providerDown();
    const before = failedAt;
    try {
      return await remote(header, token);
    } catch (err) {
      if (failedAt !== before) throw providerDown();
      throw err;
    }
  };

  return {
    async verify(token) {
      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
      try {
        // jose is permissive unless told otherwise: pin every option, as for our own tokens.
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms: opts.algorithms,
          issuer: opts.issuer,
          audience: opts.audience,
          requiredClaims: ['exp', 'iat', 'sub'],
          maxTokenAge: opts.maxTokenAgeSeconds,
          clockTolerance: CLOCK_TOLERANCE_S,
          ...(opts.tokenType !== undefined && { typ: opts.tokenType }),
        }));
      } catch (err) {
        if (err instanceof DomainError) throw err;
        if (err instanceof joseErrors.JWTExpired) throw Errors.invalidToken('token expired');
        throw Errors.invalidToken('invalid token');
      }
      const subject = text(payload.sub, 255);
      if (!subject) throw Errors.invalidToken('token claims are invalid');
      const tenant = text(claimAt(payload, opts.tenantClaim), 255);
      if (!tenant) throw Errors.invalidToken(`the token has no ${opts.tenantClaim} claim`);
      const role = mapRole(claimAt(payload, opts.roleClaim), roleMap);
      if (!role) throw Errors.forbidden(`the token's ${opts.roleClaim} claim names no Tenantry role`);
      const issuedAt = payload.iat!;
      return {
        identity: {
          subject,
          tenant,
          role,
          issuedAt,
          email: text(payload.email, 254),
          name: text(payload.name, 200),
        },
        expiresAt: Math.min(payload.exp!, issuedAt + opts.maxTokenAgeSeconds),
      };
    },
  };
}
