import { z } from '@hono/zod-openapi';
import { TENANT_ROLES } from '../../../domain/roles.js';
import { FEATURES, PLAN_ALIASES, PLAN_INPUTS, PLANS } from '../../../domain/tenant/plans.js';
import { TENANT_STATUSES } from '../../../domain/tenant/status.js';
import { SLUG_PATTERN } from '../../../domain/tenant/tenant.js';
import { dateTime, nonEmpty, PageQuery, text, uuid } from '../../openapi.js';

export const plan = z.enum(PLANS);
const aliases = Object.entries(PLAN_ALIASES)
  .map(([old, now]) => `\`${old}\` (= \`${now}\`)`)
  .join(', ');
/** A plan as clients may send it: the deprecated names of an earlier version are still accepted. */
export const planInput = z
  .enum(PLAN_INPUTS)
  .openapi({ description: `One of ${PLANS.join(', ')}; deprecated aliases: ${aliases}` });

const limit = (min: number, max: number, description: string) =>
  z.number().int().min(min).max(max).nullable().openapi({ format: 'int32', description }).optional();

/** Per-tenant overrides of the plan's limits; null removes an override (the plan's value applies again). */
export const LimitsPatch = z
  .strictObject({
    maxUsers: limit(0, 1_000_000, 'Users the tenant may have'),
    maxStudents: limit(0, 100_000_000, 'Students the tenant may have'),
    maxCourses: limit(0, 10_000_000, 'Courses the tenant may have'),
    requestsPerMinute: limit(1, 10_000_000, 'Requests per minute'),
    statementTimeoutMs: limit(100, 600_000, 'Longest statement, in ms (the server setting caps it)'),
  })
  .openapi('TenantLimitsPatch');

/** Per-tenant feature switches; null removes an override (the plan's default applies again). */
export const FeaturesPatch = z
  .record(text(64), z.boolean().nullable())
  .openapi({ description: `Known features: ${FEATURES.join(', ')}; other keys are stored as given` });

export const Limits = z
  .object({
    maxUsers: z.number(),
    maxStudents: z.number(),
    maxCourses: z.number(),
    requestsPerMinute: z.number(),
    statementTimeoutMs: z.number(),
  })
  .openapi('TenantLimits');
export const tenantStatus = z.enum(TENANT_STATUSES);

export const timezone = text(64).refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone');

export const TenantCreate = z
  .strictObject({
    name: nonEmpty(200),
    slug: text(63).regex(SLUG_PATTERN, 'lowercase letters, digits and inner hyphens, at most 63 characters'),
    plan: planInput.optional(),
    timezone: timezone.optional(),
    admin: z.strictObject({
      email: z.email().max(254),
      password: text(200).min(12, 'must be at least 12 characters'),
      name: nonEmpty(200),
    }),
  })
  .openapi('TenantCreate');

export const TenantPatch = z
  .strictObject({
    name: nonEmpty(200).optional(),
    plan: planInput.optional(),
    limits: LimitsPatch.optional(),
    features: FeaturesPatch.optional(),
  })
  .openapi('TenantPatch');

export const Tenant = z
  .object({
    id: uuid(),
    slug: z.string(),
    name: z.string(),
    status: tenantStatus,
    deletedAt: dateTime().optional().openapi({ description: 'Deleted tenants only' }),
    purgeAfter: dateTime().optional().openapi({ description: 'Deleted tenants only: restorable until then' }),
    plan,
    timezone: z.string(),
    limits: Limits,
    features: z.record(z.string(), z.unknown()).openapi({
      description: `Effective values of ${FEATURES.join(', ')} (plan default or override), and any other stored flag`,
    }),
    branding: z.record(z.string(), z.unknown()),
    createdAt: dateTime(),
    updatedAt: dateTime(),
  })
  .openapi('Tenant');

export const TenantUser = z.object({ id: uuid(), email: z.string(), name: z.string(), role: z.enum(TENANT_ROLES) });

export const TenantListQuery = z.strictObject({
  ...PageQuery,
  status: tenantStatus.optional().openapi({ description: 'Deleted tenants are listed only with status=deleted' }),
});

export const PurgeResult = z
  .object({ tenantId: z.uuid(), counts: z.record(z.string(), z.number().int()) })
  .openapi('TenantPurgeResult');

export const EventListQuery = z.strictObject({
  ...PageQuery,
  status: z
    .enum(['pending', 'dispatched', 'failed'])
    .optional()
    .openapi({ description: '`failed`: dead letters (every attempt failed), retried by POST /events/{id}/retry' }),
  type: text(100).optional(),
  tenantId: uuid().optional(),
});

export const DomainEvent = z
  .object({
    id: uuid(),
    type: z.string(),
    tenantId: uuid(),
    payload: z.unknown(),
    occurredAt: dateTime(),
    dispatchedAt: dateTime().nullable(),
    status: z.enum(['pending', 'dispatched', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: dateTime().nullable(),
    failedAt: dateTime().nullable(),
    lastError: z.string().nullable(),
  })
  .openapi('DomainEvent');
