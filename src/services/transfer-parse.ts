import type { z } from 'zod';
import { TRANSFER_TABLES, type TransferRows, type TransferTable } from '../db/repositories/transfer.js';
import { Errors, type FieldIssue } from '../domain/errors.js';
import { RowLine, rowSchema, TenantHeader } from './transfer-format.js';

export type ImportRows = { [T in TransferTable]: TransferRows[T][] };

export interface ParsedImport {
  header: TenantHeader;
  rows: ImportRows;
}

const MAX_ISSUES = 20;

// A row's identity within its table, to refuse duplicates with the line they repeat.
const keyOf = (table: TransferTable, row: Record<string, unknown>): string =>
  table === 'tenant_settings'
    ? String(row.tenantId)
    : table === 'enrollments'
      ? `${row.courseId}/${row.studentId}`
      : String(row.id);

function zodIssues(line: number, prefix: string, error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    const at = (p: string) => `line ${line}${p ? `: ${p}` : ''}`;
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ path: at(path ? `${path}.${k}` : k), message: 'unknown field' }));
    }
    return [{ path: at(path), message: i.message }];
  });
}

/**
 * Validates a whole NDJSON export before anything is written: the header first, then every
 * row strictly against its table's schema, all naming the header's tenant, no duplicate keys,
 * enrollments only between imported courses and students. Blank lines are ignored.
 */
export function parseImport(body: string): ParsedImport {
  const issues: FieldIssue[] = [];
  const rows = Object.fromEntries(TRANSFER_TABLES.map((t) => [t, []])) as unknown as ImportRows;
  const seen = new Map<string, number>();
  const enrollmentLines: number[] = [];
  let header: TenantHeader | undefined;

  const lines = body.split('\n');
  for (let i = 0; i < lines.length && issues.length < MAX_ISSUES; i++) {
    const n = i + 1;
    const source = lines[i]!.replace(/\r$/, '');
    if (source.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch {
      issues.push({ path: `line ${n}`, message: 'not valid JSON' });
      continue;
    }
    if (!header) {
      const parsed = TenantHeader.safeParse(value);
      if (!parsed.success) {
        issues.push(...zodIssues(n, '', parsed.error));
        break; // without a header no row can be checked
      }
      header = parsed.data;
      continue;
    }
    const line = RowLine.safeParse(value);
    if (!line.success) {
      issues.push(...zodIssues(n, '', line.error));
      continue;
    }
    const table = line.data.table;
    const row = rowSchema(table).safeParse(line.data.row);
    if (!row.success) {
      issues.push(...zodIssues(n, 'row', row.error));
      continue;
    }
    const data = row.data as TransferRows[typeof table] & Record<string, unknown>;
    if (data.tenantId !== header.tenant.id) {
      issues.push({ path: `line ${n}: row.tenantId`, message: 'names another tenant than the header' });
      continue;
    }
    const key = `${table}:${keyOf(table, data)}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ path: `line ${n}: row`, message: `repeats the ${table} row of line ${first}` });
      continue;
    }
    seen.set(key, n);
    if (table === 'enrollments') enrollmentLines.push(n);
    (rows[table] as unknown[]).push(data);
  }

  if (!header && issues.length === 0) issues.push({ path: 'line 1', message: 'expected the tenantry-export header' });
  rows.enrollments.forEach((e, idx) => {
    const n = enrollmentLines[idx];
    if (!seen.has(`courses:${e.courseId}`)) issues.push({ path: `line ${n}: row.courseId`, message: 'no such course' });
    if (!seen.has(`students:${e.studentId}`))
      issues.push({ path: `line ${n}: row.studentId`, message: 'no such student' });
  });
  if (issues.length > 0 || !header) {
    const shown = issues.slice(0, MAX_ISSUES);
    throw Errors.validation(`invalid import: ${shown.map((i) => `${i.path}: ${i.message}`).join('; ')}`, shown);
  }
  return { header, rows };
}
