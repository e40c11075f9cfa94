import { Errors } from '../../domain/errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../context.js';
import { sqlState } from '../errors.js';

/** Tenant tables in foreign-key order: an import inserts them in this order, an export reads them so. */
export const TRANSFER_TABLES = [
  'tenant_settings',
  'users',
  'students',
  'courses',
  'enrollments',
  'domain_events',
  'audit_log',
] as const;
export type TransferTable = (typeof TRANSFER_TABLES)[number];

export interface TransferRows {
  tenant_settings: Prisma.TenantSettingsCreateManyInput;
  users: Prisma.UserCreateManyInput;
  students: Prisma.StudentCreateManyInput;
  courses: Prisma.CourseCreateManyInput;
  enrollments: Prisma.EnrollmentCreateManyInput;
  domain_events: Prisma.DomainEventCreateManyInput;
  audit_log: Prisma.AuditEntryCreateManyInput;
}

type Row = Record<string, unknown>;
type PageReader = (after: Row | undefined, take: number) => Promise<Row[]>;

const EVENT_COLUMNS = {
  tenantId: true,
  id: true,
  type: true,
  payload: true,
  occurredAt: true,
  dispatchedAt: true,
  attempts: true,
} as const;

/**
 * Reads one tenant's rows table by table, in keyset batches ordered by primary key, so two
 * exports of the same data are identical. Every query names the tenant (defence in depth).
 * `source` is the tenant's own scope, or the platform plane reading the tenant it names.
 */
export function transferReader({ tx, tenantId }: { tx: Tx; tenantId: string }, opts: { credentials: boolean }) {
  // Password hashes are read only when the caller asked for them (a platform admin's explicit option).
  // Session state (tokens_valid_from) is not data: imported users start without sessions anyway.
  const omit = { passwordHash: !opts.credentials, tokensValidFrom: true } as const;
  const byId = (after?: Row) => ({ tenantId, ...(after && { id: { gt: after.id as string } }) });
  const order = { id: 'asc' } as const;
  const pages: Record<TransferTable, PageReader> = {
    tenant_settings: async (after) => (after ? [] : tx.tenantSettings.findMany({ where: { tenantId } })),
    users: (after, take) => tx.user.findMany({ where: byId(after), orderBy: order, take, omit }),
    students: (after, take) => tx.student.findMany({ where: byId(after), orderBy: order, take }),
    courses: (after, take) => tx.course.findMany({ where: byId(after), orderBy: order, take }),
    enrollments: (after, take) => {
      const where: Prisma.EnrollmentWhereInput = { tenantId };
      if (after) {
        const courseId = after.courseId as string;
        where.OR = [{ courseId: { gt: courseId } }, { courseId, studentId: { gt: after.studentId as string } }];
      }
      return tx.enrollment.findMany({ where, orderBy: [{ courseId: 'asc' }, { studentId: 'asc' }], take });
    },
    // The format's columns: delivery bookkeeping (retry schedule, dead letter) stays behind.
    domain_events: (after, take) =>
      tx.domainEvent.findMany({ where: byId(after), orderBy: order, take, select: EVENT_COLUMNS }),
    audit_log: (after, take) => tx.auditEntry.findMany({ where: byId(after), orderBy: order, take }),
  };
  return {
    tenant() {
      // The export header's fields (the lifecycle's deletion marks are not part of the format).
      return tx.tenant.findUnique({
        where: { id: tenantId },
        select: { id: true, slug: true, name: true, status: true, createdAt: true, updatedAt: true },
      });
    },
    async *batches(table: TransferTable, size: number): AsyncGenerator<Row[]> {
      let after: Row | undefined;
      for (;;) {
        const rows = await pages[table](after, size);
        if (rows.length > 0) yield rows;
        if (rows.length < size) return;
        after = rows.at(-1);
      }
    },
  };
}

/** A client field name as its column: the schema maps every field to its snake_case name. */
export const columnOf = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * One statement per batch, whatever its size: the rows travel as a single JSON parameter and
 * PostgreSQL turns them, keyed by column name, into the table's row type (`json_populate_recordset`), so neither the
 * statement text nor its parameter list grows with the batch, and no per-row query building
 * happens in the server. Columns are the fields the rows carry; a field absent from every row
 * of the batch (an older export's) takes the column's default.
 */
function insertStatement(table: TransferTable, rows: readonly object[]): string {
  const fields = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) fields.add(key);
  const columns = [...fields].map((f) => `"${columnOf(f)}"`).join(', ');
  return `INSERT INTO public."${table}" (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::public."${table}", $1::json)`;
}

/** The rows as one JSON array keyed by column name, as `json_populate_recordset` reads it. */
function columnJson(rows: readonly object[]): string {
  return JSON.stringify(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [columnOf(k), v]))));
}

/**
 * The same batch as a multi-row VALUES list, one text parameter per value (PostgreSQL casts
 * each to its column's type). On Citus an INSERT … SELECT from a function is executed by
 * copying the rows into the shards, and COPY FROM is refused on tables with row-level
 * security; a VALUES list is routed as a plain INSERT. At most 1,000 rows of a few dozen
 * columns: within the 65,535 parameters of a statement.
 */
function valuesStatement(table: TransferTable, rows: readonly object[]): { sql: string; params: (string | null)[] } {
  const fields = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) fields.add(key);
  const params: (string | null)[] = [];
  const tuples = rows.map((row) => {
    const values = [...fields].map((field) => {
      const value = (row as Record<string, unknown>)[field];
      if (value === undefined) return 'DEFAULT';
      params.push(textParam(value));
      return `$${params.length}`;
    });
    return `(${values.join(', ')})`;
  });
  const columns = [...fields].map((f) => `"${columnOf(f)}"`).join(', ');
  return { sql: `INSERT INTO public."${table}" (${columns}) VALUES ${tuples.join(', ')}`, params };
}

/** A value as the text PostgreSQL casts to its column: dates in ISO-8601, JSON values as JSON. */
function textParam(value: unknown): string | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Inserts imported rows; the caller runs it on one platform transaction, in TRANSFER_TABLES order. */
export function transferWriter(tx: Tx) {
  let citus: Promise<boolean> | undefined;
  const onCitus = () =>
    (citus ??= tx.$queryRaw<
      { citus: boolean }[]
    >`SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') AS citus`.then(
      (r) => r[0]?.citus === true,
    ));
  return {
    /** One batch of rows of one table, read from the given lines of the import (named in a refusal). */
    async insert<T extends TransferTable>(table: T, rows: TransferRows[T][], lines: string): Promise<void> {
      if (rows.length === 0) return;
      try {
        if (await onCitus()) {
          const { sql, params } = valuesStatement(table, rows);
          await tx.$executeRawUnsafe(sql, ...params);
        } else await tx.$executeRawUnsafe(insertStatement(table, rows), columnJson(rows));
      } catch (err) {
        throw refusal(table, lines, err);
      }
    },
    /** The platform admins' ids: an import keeps them where they appear (audit actors). */
    async platformAdminIds(): Promise<Set<string>> {
      const admins = await tx.platformAdmin.findMany({ select: { id: true } });
      return new Set(admins.map((a) => a.id));
    },
  };
}

// The tenant is new, so a refused insert can only mean the imported rows contradict each other.
function refusal(table: TransferTable, lines: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const state = sqlState(err);
  const refused = (message: string) =>
    Errors.validation(`invalid import: ${lines}: ${table} ${message}`, [
      { path: lines, message: `${table} ${message}` },
    ]);
  if (code === 'P2002' || state === '23505') return refused('rows repeat a value that must be unique in the tenant');
  if (code === 'P2003' || state === '23503') return refused('rows refer to rows that are not in the import');
  if (state?.startsWith('22') || state === '23514') return refused('rows hold values the database refuses');
  return err;
}
