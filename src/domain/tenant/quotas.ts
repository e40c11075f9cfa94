import { Errors } from '../errors.js';
import { effectiveLimits, type PlanLimits } from './plans.js';

/** What a plan limits by count, and the limit that counts it. */
export const QUOTA_LIMITS = {
  students: 'maxStudents',
  users: 'maxUsers',
  courses: 'maxCourses',
} as const satisfies Record<string, keyof PlanLimits>;
export type QuotaResource = keyof typeof QUOTA_LIMITS;

/** The tenant's plan and current count of one resource, read under the tenant's quota lock. */
export interface QuotaUsage {
  plan: string;
  limits: unknown;
  used: number;
}

/**
 * Refuses a create that would take the tenant past its plan's limit. Only sound when `usage`
 * was read under the tenant's quota lock, in the transaction that then inserts (invariant 11).
 */
export function assertQuota(resource: QuotaResource, usage: QuotaUsage, adding: number): void {
  const limit = effectiveLimits(usage.plan, usage.limits)[QUOTA_LIMITS[resource]];
  if (usage.used + adding > limit) throw Errors.quotaExceeded(resource, limit);
}
