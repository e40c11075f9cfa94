/** Plans, their default limits and features. The one way to read a tenant's effective plan. */
export const PLANS = ['basic', 'premium', 'enterprise', 'custom'] as const;
export type Plan = (typeof PLANS)[number];

/** Names of an earlier version, still accepted on input (deprecated) and mapped by a migration. */
export const PLAN_ALIASES = { free: 'basic', standard: 'premium' } as const satisfies Record<string, Plan>;
export type PlanAlias = keyof typeof PLAN_ALIASES;
/** What a client may send as a plan: a plan, or a deprecated alias of one. */
export const PLAN_INPUTS = [...PLANS, ...(Object.keys(PLAN_ALIASES) as PlanAlias[])] as const;
export type PlanInput = Plan | PlanAlias;

export interface PlanLimits {
  maxUsers: number;
  maxStudents: number;
  maxCourses: number;
  requestsPerMinute: number;
  /** Longest statement of the tenant's request transactions (capped by the server's own setting). */
  statementTimeoutMs: number;
}

export const LIMIT_KEYS = [
  'maxUsers',
  'maxStudents',
  'maxCourses',
  'requestsPerMinute',
  'statementTimeoutMs',
] as const satisfies readonly (keyof PlanLimits)[];

/** Behaviour a plan may lack: the route that needs one answers 403 feature_disabled without it. */
export const FEATURES = ['bulkCreate', 'export'] as const;
export type Feature = (typeof FEATURES)[number];
export type PlanFeatures = Record<Feature, boolean>;

const BASE_LIMITS: PlanLimits = {
  maxUsers: 5,
  maxStudents: 500,
  maxCourses: 50,
  requestsPerMinute: 600,
  statementTimeoutMs: 5_000,
};

export const PLAN_DEFAULTS: Record<Plan, { limits: PlanLimits; features: PlanFeatures }> = {
  basic: { limits: BASE_LIMITS, features: { bulkCreate: true, export: true } },
  premium: {
    limits: {
      maxUsers: 50,
      maxStudents: 10_000,
      maxCourses: 1_000,
      requestsPerMinute: 6_000,
      statementTimeoutMs: 10_000,
    },
    features: { bulkCreate: true, export: true },
  },
  enterprise: {
    limits: {
      maxUsers: 1_000,
      maxStudents: 1_000_000,
      maxCourses: 100_000,
      requestsPerMinute: 60_000,
      statementTimeoutMs: 15_000,
    },
    features: { bulkCreate: true, export: true },
  },
  // Negotiated per tenant: limits and features come from the tenant's overrides; until they
  // are set it has basic's limits and no optional feature.
  custom: { limits: BASE_LIMITS, features: { bulkCreate: false, export: false } },
};

/** Kept for readers of the limits alone. */
export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  basic: PLAN_DEFAULTS.basic.limits,
  premium: PLAN_DEFAULTS.premium.limits,
  enterprise: PLAN_DEFAULTS.enterprise.limits,
  custom: PLAN_DEFAULTS.custom.limits,
};

export const isPlan = (value: string): value is Plan => (PLANS as readonly string[]).includes(value);
export const isFeature = (value: string): value is Feature => (FEATURES as readonly string[]).includes(value);

/** A plan or a deprecated alias as the plan it names; undefined for anything else. */
export function canonicalPlan(value: string): Plan | undefined {
  if (isPlan(value)) return value;
  return Object.hasOwn(PLAN_ALIASES, value) ? PLAN_ALIASES[value as PlanAlias] : undefined;
}

/** A stored plan name as a plan; an unknown one counts as basic (as in effectiveLimits). */
export const planOf = (value: string | null | undefined): Plan => (value && canonicalPlan(value)) || 'basic';

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The plan's limits with the tenant's own overrides on top; an unknown plan counts as basic. */
export function effectiveLimits(plan: string, overrides: unknown): PlanLimits {
  const base = PLAN_LIMITS[planOf(plan)];
  const o = record(overrides);
  const out = { ...base };
  for (const key of LIMIT_KEYS) if (typeof o[key] === 'number') out[key] = o[key] as number;
  return out;
}

/** Every known feature with its value for the tenant: the plan's default unless overridden. */
export function effectiveFeatures(plan: string, overrides: unknown): PlanFeatures {
  const base = PLAN_DEFAULTS[planOf(plan)].features;
  const o = record(overrides);
  const out = { ...base };
  for (const key of FEATURES) if (typeof o[key] === 'boolean') out[key] = o[key] as boolean;
  return out;
}

/** What a plan limits by count, and the usage that counts against it. */
export const COUNTED_LIMITS = {
  maxUsers: 'users',
  maxStudents: 'students',
  maxCourses: 'courses',
} as const satisfies Partial<Record<keyof PlanLimits, string>>;
export type CountedLimit = keyof typeof COUNTED_LIMITS;
export type CountedUsage = Record<(typeof COUNTED_LIMITS)[CountedLimit], number>;

/** The limits that the current usage would exceed, each with the usage and the limit. */
export function limitsExceeded(
  limits: PlanLimits,
  usage: CountedUsage,
): { limit: CountedLimit; used: number; max: number }[] {
  return (Object.keys(COUNTED_LIMITS) as CountedLimit[])
    .filter((limit) => usage[COUNTED_LIMITS[limit]] > limits[limit])
    .map((limit) => ({ limit, used: usage[COUNTED_LIMITS[limit]], max: limits[limit] }));
}

/** Stored overrides with a patch applied: null removes a key. */
export function applyOverrides<T>(stored: unknown, patch: Record<string, T | null>): Record<string, T> {
  const out = { ...(stored && typeof stored === 'object' ? stored : {}) } as Record<string, T>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}
