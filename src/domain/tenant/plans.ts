/** Plans and their limits. The one way to read a tenant's effective limits. */
export const PLANS = ['free', 'standard', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export interface PlanLimits {
  maxUsers: number;
  maxStudents: number;
  requestsPerMinute: number;
}

export const LIMIT_KEYS = [
  'maxUsers',
  'maxStudents',
  'requestsPerMinute',
] as const satisfies readonly (keyof PlanLimits)[];

export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  free: { maxUsers: 5, maxStudents: 500, requestsPerMinute: 600 },
  standard: { maxUsers: 50, maxStudents: 10_000, requestsPerMinute: 6_000 },
  enterprise: { maxUsers: 1_000, maxStudents: 1_000_000, requestsPerMinute: 60_000 },
};

export const isPlan = (value: string): value is Plan => (PLANS as readonly string[]).includes(value);

/** A stored plan name as a plan; an unknown one counts as free (as in effectiveLimits). */
export const planOf = (value: string | null | undefined): Plan => (value && isPlan(value) ? value : 'free');

/** The plan's limits with the tenant's own overrides on top; an unknown plan counts as free. */
export function effectiveLimits(plan: string, overrides: unknown): PlanLimits {
  const base = PLAN_LIMITS[isPlan(plan) ? plan : 'free'];
  const o = (overrides && typeof overrides === 'object' ? overrides : {}) as Partial<Record<keyof PlanLimits, unknown>>;
  const pick = (key: keyof PlanLimits) => (typeof o[key] === 'number' ? (o[key] as number) : base[key]);
  return { maxUsers: pick('maxUsers'), maxStudents: pick('maxStudents'), requestsPerMinute: pick('requestsPerMinute') };
}
