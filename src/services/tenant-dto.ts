import type { TenantWithSettings } from '../db/repositories/tenants.js';
import { effectiveFeatures, effectiveLimits, type Plan, type PlanLimits, planOf } from '../domain/tenant/plans.js';
import type { TenantStatus } from '../domain/tenant/status.js';

export interface TenantDto {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  /** Deleted tenants only: when it was deleted, and until when it can be restored. */
  deletedAt?: string;
  purgeAfter?: string;
  plan: Plan;
  timezone: string;
  limits: PlanLimits;
  features: Record<string, unknown>;
  branding: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export const toTenantDto = (t: TenantWithSettings): TenantDto => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  status: t.status,
  ...(t.deletedAt && { deletedAt: t.deletedAt.toISOString() }),
  ...(t.purgeAfter && { purgeAfter: t.purgeAfter.toISOString() }),
  plan: planOf(t.settings?.plan),
  timezone: t.settings?.timezone ?? 'UTC',
  limits: effectiveLimits(planOf(t.settings?.plan), t.settings?.limits),
  features: {
    ...(t.settings?.features as Record<string, unknown>),
    ...effectiveFeatures(planOf(t.settings?.plan), t.settings?.features),
  },
  branding: (t.settings?.branding ?? {}) as Record<string, unknown>,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});
