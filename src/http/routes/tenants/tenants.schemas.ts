import { z } from '@hono/zod-openapi';
import { TENANT_ROLES } from '../../../domain/roles.js';
import { PLANS } from '../../../domain/tenant/plans.js';
import { TENANT_STATUSES } from '../../../domain/tenant/status.js';
import { SLUG_PATTERN } from '../../../domain/tenant/tenant.js';
import { dateTime, nonEmpty, PageQuery, text, uuid } from '../../openapi.js';

export const plan = z.enum(PLANS);
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
    plan: plan.optional(),
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
    plan: plan.optional(),
    limits: z
      .strictObject({
        maxUsers: z.number().int().min(0).max(1_000_000).openapi({ format: 'int32' }).optional(),
        maxStudents: z.number().int().min(0).max(100_000_000).openapi({ format: 'int32' }).optional(),
        requestsPerMinute: z.number().int().min(1).max(10_000_000).openapi({ format: 'int32' }).optional(),
      })
      .optional(),
    features: z.record(text(64), z.boolean()).optional(),
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
    limits: z.object({ maxUsers: z.number(), maxStudents: z.number(), requestsPerMinute: z.number() }),
    features: z.record(z.string(), z.unknown()),
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
