import type { PlatformRunner } from '../db/context.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { USAGE_KEYS, type UsageCounts, usageRepository } from '../db/repositories/usage.js';
import { Errors } from '../domain/errors.js';
import { effectiveLimits, type Plan, type PlanLimits, planOf } from '../domain/tenant/plans.js';
import type { TenantStatus } from '../domain/tenant/status.js';

export interface TenantUsage {
  tenantId: string;
  plan: Plan;
  limits: PlanLimits;
  usage: UsageCounts;
}

export interface TenantStatsRow extends UsageCounts {
  tenantId: string;
  slug: string;
  status: TenantStatus;
}

export interface TenantStats {
  data: TenantStatsRow[];
  totals: UsageCounts & { tenants: number };
}

const none = (): UsageCounts => ({ users: 0, students: 0, courses: 0, enrollments: 0 });

/** Platform-admin reporting: one tenant against its plan, and every tenant's counts. */
export function createTenantUsageService(deps: { db: PlatformRunner }) {
  return {
    usage(adminId: string, tenantId: string): Promise<TenantUsage> {
      return deps.db.platform(adminId, async ({ tx }) => {
        const tenant = await tenantRepository(tx).get(tenantId);
        if (!tenant) throw Errors.notFound('tenant');
        const plan = planOf(tenant.settings?.plan);
        const usage = await usageRepository(tx).forTenant(tenantId);
        return { tenantId, plan, limits: effectiveLimits(plan, tenant.settings?.limits), usage };
      });
    },

    stats(adminId: string): Promise<TenantStats> {
      return deps.db.platform(adminId, async ({ tx }) => {
        const repo = usageRepository(tx);
        const tenants = await repo.tenants();
        const counts = await repo.byTenant();
        const data = tenants.map((t) => ({
          tenantId: t.id,
          slug: t.slug,
          status: t.status,
          ...(counts.get(t.id) ?? none()),
        }));
        const totals = { tenants: data.length, ...none() };
        for (const row of data) for (const key of USAGE_KEYS) totals[key] += row[key];
        return { data, totals };
      });
    },
  };
}

export type TenantUsageService = ReturnType<typeof createTenantUsageService>;
