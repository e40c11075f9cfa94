import { z } from '@hono/zod-openapi';
import { PageQuery, page, uuid } from '../../openapi.js';
import { Limits, plan, Tenant, tenantStatus } from './tenants.schemas.js';

const Counts = {
  users: z.number().int(),
  students: z.number().int(),
  courses: z.number().int(),
  enrollments: z.number().int(),
};

const LimitUsage = z.object({
  limit: z.number(),
  used: z
    .number()
    .int()
    .nullable()
    .openapi({ description: 'null for a rate or a duration (nothing counts toward it)' }),
});

export const TenantUsage = z
  .object({
    tenantId: uuid(),
    plan,
    limits: Limits,
    features: z.object({ bulkCreate: z.boolean(), export: z.boolean() }),
    usage: z.object(Counts),
    quotas: z
      .object({
        maxUsers: LimitUsage,
        maxStudents: LimitUsage,
        maxCourses: LimitUsage,
        requestsPerMinute: LimitUsage,
        statementTimeoutMs: LimitUsage,
      })
      .openapi({ description: 'Every limit of the effective plan (overrides included) against its count' }),
  })
  .openapi('TenantUsage');

export const TenantStatsRow = z
  .object({ tenantId: uuid(), slug: z.string(), status: tenantStatus, ...Counts })
  .openapi('TenantStatsRow');

export const StatsQuery = z.strictObject(PageQuery);
export const TenantStats = page(TenantStatsRow).openapi('TenantStats');

export const ImportResult = z
  .object({
    tenant: Tenant,
    counts: z.record(z.string(), z.number().int()),
    mode: z.enum(['restore', 'clone']),
    sha256: z.string().nullable().openapi({ description: 'The verified checksum (null for a version 1 export)' }),
  })
  .openapi('TenantImportResult');

export const ImportQuery = z.strictObject({
  mode: z
    .enum(['restore', 'clone'])
    .optional()
    .openapi({ description: '`restore` (default): under the export’s ids; `clone`: a new tenant beside its source' }),
  slug: z
    .string()
    .max(63)
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a valid tenant slug')
    .optional()
    .openapi({ description: 'The clone’s slug (required with mode=clone)' }),
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: 'The clone’s name (default: the source’s)' }),
});

export const NdjsonExport = z.string().openapi({
  description:
    'One JSON object per line: the header {"type":"tenantry-export","version":2,"tenant":{...}}, then ' +
    '{"table":...,"row":{...}} for tenant_settings, users, students, courses, enrollments, domain_events and ' +
    'audit_log, each table ordered by primary key, then the trailer {"type":"tenantry-export-end","counts":{...},' +
    '"sha256":"..."}: the row count of every table and the SHA-256 of every line before the trailer (each with its ' +
    'newline). Refresh tokens are not exported. Imports also read version 1 (no trailer).',
});

export const ExportQuery = z.strictObject({
  includeCredentials: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'Platform admins only: include users’ password hashes' }),
});
