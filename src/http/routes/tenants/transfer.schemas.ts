import { z } from '@hono/zod-openapi';
import { uuid } from '../../openapi.js';
import { plan, Tenant, tenantStatus } from './tenants.schemas.js';

const Counts = {
  users: z.number().int(),
  students: z.number().int(),
  courses: z.number().int(),
  enrollments: z.number().int(),
};

export const TenantUsage = z
  .object({
    tenantId: uuid(),
    plan,
    limits: z.object({ maxUsers: z.number(), maxStudents: z.number(), requestsPerMinute: z.number() }),
    usage: z.object(Counts),
  })
  .openapi('TenantUsage');

export const TenantStats = z
  .object({
    data: z.array(z.object({ tenantId: uuid(), slug: z.string(), status: tenantStatus, ...Counts })),
    totals: z.object({ tenants: z.number().int(), ...Counts }),
  })
  .openapi('TenantStats');

export const ImportResult = z
  .object({ tenant: Tenant, counts: z.record(z.string(), z.number().int()) })
  .openapi('TenantImportResult');

export const NdjsonExport = z.string().openapi({
  description:
    'One JSON object per line: the header {"type":"tenantry-export","version":1,"tenant":{...}}, then ' +
    '{"table":...,"row":{...}} for tenant_settings, users (with password hashes), students, courses, ' +
    'enrollments, domain_events and audit_log, each table ordered by primary key. Refresh tokens are not exported.',
});

export const ExportQuery = z.strictObject({
  includeCredentials: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'Platform admins only: include users’ password hashes' }),
});
