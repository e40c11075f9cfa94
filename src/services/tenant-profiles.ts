import type { TenantContext, TenantRunner } from '../db/context.js';
import { ownTenantRepository } from '../db/repositories/tenants.js';
import { Errors } from '../domain/errors.js';
import { effectiveLimits, type PlanLimits } from '../domain/tenant/plans.js';

/** What the request path needs to know about a tenant before its request transaction opens. */
export interface TenantProfile {
  slug: string;
  limits: PlanLimits;
}

/**
 * Tenant profiles (slug, effective limits) cached per instance for `ttlMs`, so the header
 * check and the rate limit need no database round trip on most requests. A miss is read in a
 * transaction of the caller's own context, so an unknown or suspended tenant and an unknown
 * user are refused by the database there, as in any tenant transaction.
 */
export function createTenantProfiles(deps: { tenantDb: TenantRunner; ttlMs?: number; maxEntries?: number }) {
  const ttlMs = deps.ttlMs ?? 60_000;
  const maxEntries = deps.maxEntries ?? 100_000;
  const cache = new Map<string, { profile: TenantProfile; until: number }>();

  return {
    async get(context: TenantContext): Promise<TenantProfile> {
      const hit = cache.get(context.tenantId);
      if (hit && hit.until > Date.now()) return hit.profile;
      const row = await deps.tenantDb.tenant(context, (scope) => ownTenantRepository(scope).profile());
      if (!row) throw Errors.unauthorized('the token no longer names an active tenant user');
      const profile = { slug: row.slug, limits: effectiveLimits(row.plan, row.limits) };
      if (cache.size >= maxEntries) cache.clear();
      cache.set(context.tenantId, { profile, until: Date.now() + ttlMs });
      return profile;
    },

    /** Forgets a tenant's profile (after its plan, limits or status changed). */
    invalidate(tenantId: string): void {
      cache.delete(tenantId);
    },
  };
}

export type TenantProfiles = ReturnType<typeof createTenantProfiles>;
