import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { SigningKeys } from '../config/keys.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';

export interface TokenService {
  issue(principal: Principal): Promise<{ accessToken: string; expiresIn: number }>;
  /** Verifies an access token strictly; every failure is `unauthorized`. */
  verify(token: string): Promise<Principal>;
  jwks(): { keys: object[] };
}

const CLOCK_TOLERANCE_S = 5;

const Claims = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['tenant_admin', 'staff', 'viewer']), sub: z.uuid(), tid: z.uuid() }),
  z.object({ role: z.literal('platform_admin'), sub: z.uuid(), tid: z.never().optional() }),
]);

export function createTokenService(opts: {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}): TokenService {
  const { keys, issuer, audience, ttlSeconds } = opts;
  return {
    async issue(principal) {
      const claims: Record<string, unknown> = { role: principal.role };
      if (principal.kind === 'tenant') claims.tid = principal.tenantId;
      const accessToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: keys.alg, typ: 'at+jwt', kid: keys.kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(principal.userId)
        .setJti(newId())
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(keys.privateKey);
      return { accessToken, expiresIn: ttlSeconds };
    },

    async verify(token) {
      try {
        // jose is permissive unless told otherwise: pin every option.
        const { payload } = await jwtVerify(token, keys.publicKey, {
          algorithms: [keys.alg],
          issuer,
          audience,
          typ: 'at+jwt',
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
          maxTokenAge: ttlSeconds + CLOCK_TOLERANCE_S,
          clockTolerance: CLOCK_TOLERANCE_S,
        });
        const claims = Claims.safeParse(payload);
        if (!claims.success) throw Errors.unauthorized('token claims are invalid');
        const c = claims.data;
        return c.role === 'platform_admin'
          ? { kind: 'platform', userId: c.sub, role: c.role }
          : { kind: 'tenant', userId: c.sub, tenantId: c.tid, role: c.role };
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw Errors.unauthorized('token expired');
        // Any other jose error, and TypeErrors from key or algorithm confusion, is a bad token.
        throw Errors.unauthorized('invalid token');
      }
    },

    jwks: () => ({ keys: [keys.publicJwk] }),
  };
}
