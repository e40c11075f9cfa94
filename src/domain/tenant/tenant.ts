import { type DomainEvent, domainEvent } from '../events.js';
import { newId } from '../ids.js';

export type TenantStatus = 'active' | 'suspended';
export type Plan = 'free' | 'standard' | 'enterprise';

export interface PlanLimits {
  maxUsers: number;
  maxStudents: number;
  requestsPerMinute: number;
}

export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  free: { maxUsers: 5, maxStudents: 500, requestsPerMinute: 600 },
  standard: { maxUsers: 50, maxStudents: 10_000, requestsPerMinute: 6_000 },
  enterprise: { maxUsers: 1_000, maxStudents: 1_000_000, requestsPerMinute: 60_000 },
};

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
}

export interface TenantCreatedPayload {
  tenantId: string;
  slug: string;
  name: string;
  plan: Plan;
  adminUserId: string;
}

export type TenantCreated = DomainEvent<'TenantCreated', TenantCreatedPayload>;

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Creates a tenant and records TenantCreated; both are saved in one transaction. */
export function createTenant(input: { name: string; slug: string; plan: Plan; adminUserId: string }): {
  tenant: Tenant;
  event: TenantCreated;
} {
  const tenant: Tenant = { id: newId(), slug: input.slug, name: input.name, status: 'active' };
  const event = domainEvent('TenantCreated', tenant.id, {
    tenantId: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    plan: input.plan,
    adminUserId: input.adminUserId,
  });
  return { tenant, event };
}

export function effectiveLimits(plan: string, overrides: unknown): PlanLimits {
  const base = PLAN_LIMITS[(plan in PLAN_LIMITS ? plan : 'free') as Plan];
  const o = (overrides && typeof overrides === 'object' ? overrides : {}) as Partial<PlanLimits>;
  return {
    maxUsers: typeof o.maxUsers === 'number' ? o.maxUsers : base.maxUsers,
    maxStudents: typeof o.maxStudents === 'number' ? o.maxStudents : base.maxStudents,
    requestsPerMinute: typeof o.requestsPerMinute === 'number' ? o.requestsPerMinute : base.requestsPerMinute,
  };
}
