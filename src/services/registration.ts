import { DomainError } from '../domain/errors.js';
import { assertPasswordStrength } from '../domain/passwords.js';
import type { PlatformActor } from './audit.js';
import type { RateLimitService } from './rate-limit.js';
import type { TenantService } from './tenants.js';

export interface RegistrationInput {
  name: string;
  slug: string;
  admin: { email: string; password: string; name: string };
}

/**
 * Self-service registration (off unless ALLOW_SELF_SIGNUP=true): a new tenant on the basic plan
 * with its first admin, through the platform's own creation path (same transaction, same
 * TenantCreated event), with no platform admin acting. Each client address may register only
 * so many tenants per window; the budget is spent before the password is hashed.
 */
export function createRegistrationService(deps: {
  enabled: boolean;
  tenants: Pick<TenantService, 'create'>;
  limiter: RateLimitService;
  /** Registrations per client address per window. */
  perAddress: number;
}) {
  return {
    enabled: deps.enabled,

    /** `actor` carries the request's audit entry (no platform admin acts: the new admin is the actor). */
    async register(clientAddress: string, input: RegistrationInput, actor?: PlatformActor) {
      if (!deps.enabled) {
        throw new DomainError('not_found', 'self-service registration is not enabled on this server');
      }
      assertPasswordStrength(input.admin.password, input.admin.email, 'admin.password');
      const decision = await deps.limiter.consume(clientAddress, deps.perAddress);
      if (!decision.allowed) {
        throw new DomainError(
          'rate_limited',
          `too many registrations from this address; retry in ${decision.resetSeconds} s`,
          undefined,
          decision.resetSeconds,
        );
      }
      return deps.tenants.create(actor ?? null, { ...input, plan: 'basic' });
    },
  };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
