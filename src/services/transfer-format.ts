import { z } from 'zod';
import { TRANSFER_TABLES, type TransferRows, type TransferTable } from '../db/repositories/transfer.js';
import { TENANT_ROLES } from '../domain/roles.js';
import { canonicalPlan, PLAN_INPUTS } from '../domain/tenant/plans.js';
import { SLUG_PATTERN } from '../domain/tenant/tenant.js';
import { NO_PASSWORD } from '../domain/users.js';

/**
 * The export format: NDJSON, a header line naming the tenant, then one line per row
 * `{"table": ..., "row": {...}}` with the client's field names, timestamps as ISO-8601 UTC,
 * dates as YYYY-MM-DD. Version 2 ends with a trailer line holding the row count of every table
 * and a SHA-256 over every line before it (header included, each with its newline), so a
 * truncated or edited file is refused; version 1 files (no trailer) are still read. Refresh
 * tokens are not exported: imported users log in again.
 */
export const EXPORT_TYPE = 'tenantry-export';
export const EXPORT_END_TYPE = 'tenantry-export-end';
export const EXPORT_VERSION = 2;
export const READABLE_VERSIONS = [1, 2] as const;

// PostgreSQL text and jsonb cannot hold NUL: refuse it here rather than fail in the insert.
const noNul = (s: string) => !s.includes('\u0000');
const text = (max = 10_000) => z.string().max(max).refine(noNul, 'must not contain NUL characters');
const id = z.uuid().transform((s) => s.toLowerCase());
const timestamp = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const date = z.iso.date().transform((s) => new Date(`${s}T00:00:00.000Z`));
const json = z.json().refine((v) => noNul(JSON.stringify(v)), 'must not contain NUL characters');
const jsonObject = z.record(z.string(), z.json()).refine((v) => noNul(JSON.stringify(v)), 'must not contain NUL');
// Prisma writes a JSON null only as a sentinel; no exported payload is null, so none is accepted.
const payload = json.refine((v) => v !== null, 'must not be null') as unknown as z.ZodType<
  Exclude<z.infer<typeof json>, null>
>;

export const TenantHeader = z.strictObject({
  type: z.literal(EXPORT_TYPE),
  version: z.union(READABLE_VERSIONS.map((v) => z.literal(v))),
  tenant: z.strictObject({
    id,
    slug: z.string().max(63).regex(SLUG_PATTERN, 'must be a valid tenant slug'),
    name: text(200).refine((s) => s.trim().length > 0, 'must not be empty'),
    status: z.enum(['active', 'suspended']),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
});
export type TenantHeader = z.output<typeof TenantHeader>;

const stamps = { createdAt: timestamp, updatedAt: timestamp };

const rowSchemas: { [T in TransferTable]: z.ZodType<TransferRows[T]> } = {
  tenant_settings: z.strictObject({
    tenantId: id,
    // Exports made before the plans were renamed name them the old way.
    plan: z.enum(PLAN_INPUTS).transform((p) => canonicalPlan(p) ?? 'basic'),
    timezone: text(64),
    limits: jsonObject,
    features: jsonObject,
    branding: jsonObject,
    ...stamps,
  }),
  users: z.strictObject({
    tenantId: id,
    id,
    email: text(254),
    name: text(200),
    role: z.enum(TENANT_ROLES),
    // Absent from exports made before users could be deactivated.
    active: z.boolean().optional(),
    // Absent from exports made without credentials: the imported user cannot log in until an
    // admin sets a password.
    passwordHash: text(1000)
      .optional()
      .transform((v) => v ?? NO_PASSWORD),
    // An identity provider's subject; absent from exports made before providers were accepted.
    externalSubject: text(255).nullable().optional(),
    ...stamps,
  }),
  students: z.strictObject({
    tenantId: id,
    id,
    studentNo: text(64),
    firstName: text(100),
    lastName: text(100),
    email: text(254).nullable(),
    dateOfBirth: date.nullable(),
    active: z.boolean(),
    ...stamps,
  }),
  courses: z.strictObject({
    tenantId: id,
    id,
    code: text(64),
    title: text(200),
    capacity: z.number().int().min(0).max(2_147_483_647).nullable(),
    ...stamps,
  }),
  enrollments: z.strictObject({ tenantId: id, courseId: id, studentId: id, createdAt: timestamp }),
  domain_events: z.strictObject({
    tenantId: id,
    id,
    type: text(200),
    payload,
    occurredAt: timestamp,
    dispatchedAt: timestamp.nullable(),
    attempts: z.number().int().min(0).max(2_147_483_647),
  }),
  audit_log: z
    .strictObject({
      tenantId: id,
      id,
      action: text(200),
      actorId: id.nullable(),
      // Exports written before audit entries named their actor's kind, target, request and reason
      // lack these: such an entry imports with its actor as a user's (or the system's, without one).
      actorType: z.enum(['user', 'platform_admin', 'system']).optional(),
      targetType: text(200).nullable().optional(),
      targetId: id.nullable().optional(),
      requestId: text(128).nullable().optional(),
      reason: text(500).nullable().optional(),
      data: jsonObject,
      createdAt: timestamp,
    })
    .transform((row) => ({ ...row, actorType: row.actorType ?? (row.actorId ? 'user' : 'system') })),
};

export const RowLine = z.strictObject({ table: z.enum(TRANSFER_TABLES), row: z.unknown() });

const count = z.number().int().min(0);
export const Trailer = z.strictObject({
  type: z.literal(EXPORT_END_TYPE),
  counts: z.strictObject(
    Object.fromEntries(TRANSFER_TABLES.map((t) => [t, count])) as Record<TransferTable, typeof count>,
  ),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
});
export type Trailer = z.output<typeof Trailer>;

export function rowSchema<T extends TransferTable>(table: T): z.ZodType<TransferRows[T]> {
  return rowSchemas[table];
}

/** Exported value of a client row: Dates as ISO-8601 (a DATE column as YYYY-MM-DD). */
export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (!(value instanceof Date)) out[key] = value;
    else out[key] = key === 'dateOfBirth' ? value.toISOString().slice(0, 10) : value.toISOString();
  }
  return out;
}
