import type { PlatformRunner } from '../db/context.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { type TenantCountsRow, type UsageCounts, usageRepository } from '../db/repositories/usage.js';
import { Errors } from '../domain/errors.js';
import {
  COUNTED_LIMITS,
  effectiveFeatures,
  effectiveLimits,
  LIMIT_KEYS,
  type Plan,
  type PlanFeatures,
  type PlanLimits,
  planOf,
} from '../domain/tenant/plans.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';

/** One limit of the effective plan against what counts toward it (null: a rate or a duration, not a count). */
export interface LimitUsage {
  limit: number;
  used: number | null;
}

export interface TenantUsage {
  tenantId: string;
  plan: Plan;
  limits: PlanLimits;
  features: PlanFeatures;
  usage: UsageCounts;
  /** Every limit of the effective plan with its count. */
  quotas: Record<keyof PlanLimits, LimitUsage>;
}

export type TenantStatsRow = TenantCountsRow;

/** Platform-admin reporting: one tenant against its plan, and every tenant's counts a page at a time. */
export function createTenantUsageService(deps: { db: PlatformRunner }) {
  return {
    usage(adminId: string, tenantId: string): Promise<TenantUsage> {
      return deps.db.platform(adminId, async ({ tx }) => {
        const tenant = await tenantRepository(tx).get(tenantId);
        if (!tenant) throw Errors.notFound('tenant');
        const plan = planOf(tenant.settings?.plan);
        const limits = effectiveLimits(plan, tenant.settings?.limits);
        const usage = await usageRepository(tx).forTenant(tenantId);
        const counted = COUNTED_LIMITS as Partial<Record<keyof PlanLimits, keyof UsageCounts>>;
        const quotas = Object.fromEntries(
          LIMIT_KEYS.map((key) => {
            const counts = counted[key];
            return [key, { limit: limits[key], used: counts ? usage[counts] : null }];
          }),
        ) as Record<keyof PlanLimits, LimitUsage>;
        return {
          tenantId,
          plan,
          limits,
          features: effectiveFeatures(plan, tenant.settings?.features),
          usage,
          quotas,
        };
      });
    },

    /** A page of tenants (every status) with their counts, read in one statement. */
    async stats(adminId: string, query: PageQuery): Promise<Page<TenantStatsRow>> {
      const rows = await deps.db.platform(adminId, ({ tx }) =>
        usageRepository(tx).page({ limit: query.limit + 1, after: decodeCursor(query.cursor) }),
      );
      return toPage(
        rows.map((r) => ({ ...r, id: r.tenantId })),
        query.limit,
        ({ id: _id, ...row }) => row,
      );
    },
  };
}

export type TenantUsageService = ReturnType<typeof createTenantUsageService>;
