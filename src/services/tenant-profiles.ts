import type { TenantContext, TenantRunner } from '../db/context.js';
import { ownTenantRepository } from '../db/repositories/tenants.js';
import { Errors } from '../domain/errors.js';
import { effectiveFeatures, effectiveLimits, type PlanFeatures, type PlanLimits } from '../domain/tenant/plans.js';
import { createTenantCache, type TenantCache } from './tenant-cache.js';

/** What the request path needs to know about a tenant before its request transaction opens. */
export interface TenantProfile {
  slug: string;
  limits: PlanLimits;
  features: PlanFeatures;
}

/**
 * Tenant profiles (slug, effective limits and features) from the tenant cache (`tenant:{id}:profile`), so the
 * header check and the rate limit need no database round trip on most requests. A miss is
 * read in a transaction of the caller's own context, so an unknown or suspended tenant and an
 * unknown user are refused by the database there, as in any tenant transaction.
 */
export function createTenantProfiles(deps: { tenantDb: TenantRunner; cache?: TenantCache }) {
  const cache = deps.cache ?? createTenantCache({});

  return {
    get(context: TenantContext): Promise<TenantProfile> {
      return cache.load(context.tenantId, 'profile', async () => {
        const row = await deps.tenantDb.tenant(context, (scope) => ownTenantRepository(scope).profile());
        if (!row) throw Errors.invalidToken('the token no longer names an active tenant user');
        return {
          slug: row.slug,
          limits: effectiveLimits(row.plan, row.limits),
          features: effectiveFeatures(row.plan, row.features),
        };
      });
    },

    /** Forgets a tenant's profile (after its plan, limits or status changed), on every instance. */
    invalidate(tenantId: string): void {
      cache.invalidate(tenantId);
    },
  };
}

export type TenantProfiles = ReturnType<typeof createTenantProfiles>;
