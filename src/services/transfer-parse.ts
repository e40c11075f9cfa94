import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { TRANSFER_TABLES, type TransferRows, type TransferTable } from '../db/repositories/transfer.js';
import { Errors, type FieldIssue } from '../domain/errors.js';
import { EXPORT_END_TYPE, RowLine, rowSchema, TenantHeader, Trailer } from './transfer-format.js';

export type ImportRow = { [T in TransferTable]: { table: T; row: TransferRows[T] } }[TransferTable];
export type TableCounts = Record<TransferTable, number>;

const MAX_ISSUES = 20;

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

export const zeroCounts = (): TableCounts =>
  Object.fromEntries(TRANSFER_TABLES.map((t) => [t, 0])) as unknown as TableCounts;

const isTrailer = (value: unknown) =>
  typeof value === 'object' && value !== null && (value as { type?: unknown }).type === EXPORT_END_TYPE;

/**
 * Checks an export line by line as it streams, holding nothing but counts and a running
 * SHA-256: the header first, then every row strictly against its table's schema, naming the
 * header's tenant, tables in export order; at the end, the trailer's counts and checksum
 * (version 2). Keys that must be unique and rows that refer to others are left to the
 * database, which checks them as the rows are written. Blank lines are ignored.
 */
export function importValidator() {
  const issues: FieldIssue[] = [];
  const counts = zeroCounts();
  const hash = createHash('sha256');
  let header: TenantHeader | undefined;
  let trailer: { line: number; value: Trailer } | undefined;
  let table = 0;
  let lastLine = 0;
  let stopped = false;

  const add = (...found: FieldIssue[]) => {
    issues.push(...found);
    if (issues.length >= MAX_ISSUES) stopped = true;
  };

  function parseJson(n: number, text: string): { ok: true; value: unknown } | { ok: false } {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      add({ path: `line ${n}`, message: 'not valid JSON' });
      return { ok: false };
    }
  }

  return {
    /** True once the import cannot succeed; no more rows should be written. */
    get failed() {
      return issues.length > 0;
    },
    /** True when reading further would add nothing (no header, or enough issues to report). */
    get stopped() {
      return stopped;
    },
    get header() {
      return header;
    },
    counts,

    /** One line of input: its header or row when valid, else undefined (the issue is recorded). */
    line(n: number, source: string): { header: TenantHeader } | ImportRow | undefined {
      const text = source.endsWith('\r') ? source.slice(0, -1) : source;
      if (text.trim() === '') return undefined;
      lastLine = n;
      if (trailer) {
        add({ path: `line ${n}`, message: `follows the trailer line ${trailer.line}` });
        return undefined;
      }
      const parsed = parseJson(n, text);
      if (!header) {
        const checked = parsed.ok ? TenantHeader.safeParse(parsed.value) : undefined;
        if (checked?.success) {
          header = checked.data;
          hash.update(`${source}\n`);
          return { header };
        }
        if (checked) add(...zodIssues(n, '', checked.error));
        stopped = true; // without a header no row can be checked
        return undefined;
      }
      if (!parsed.ok) return undefined;
      if (isTrailer(parsed.value)) {
        const checked = Trailer.safeParse(parsed.value);
        if (!checked.success) add(...zodIssues(n, '', checked.error));
        else trailer = { line: n, value: checked.data };
        return undefined;
      }
      hash.update(`${source}\n`);
      const line = RowLine.safeParse(parsed.value);
      if (!line.success) return void add(...zodIssues(n, '', line.error));
      const name = line.data.table;
      const row = rowSchema(name).safeParse(line.data.row);
      if (!row.success) return void add(...zodIssues(n, 'row', row.error));
      if ((row.data as { tenantId: string }).tenantId !== header.tenant.id) {
        return void add({ path: `line ${n}: row.tenantId`, message: 'names another tenant than the header' });
      }
      const index = TRANSFER_TABLES.indexOf(name);
      if (index < table) {
        return void add({
          path: `line ${n}: table`,
          message: `${name} rows must come before ${TRANSFER_TABLES[table]}`,
        });
      }
      table = index;
      counts[name] += 1;
      return { table: name, row: row.data } as ImportRow;
    },

    /** After the last line: throws the issues found, the trailer's among them. */
    finish(): { header: TenantHeader; sha256: string | null } {
      if (!header && issues.length === 0) add({ path: 'line 1', message: 'expected the tenantry-export header' });
      const digest = hash.digest('hex');
      if (header && header.version >= 2 && !stopped) {
        if (!trailer) {
          add({
            path: `line ${lastLine + 1}`,
            message: 'the export is truncated: the trailer line with its row counts and SHA-256 is missing',
          });
        } else {
          for (const t of TRANSFER_TABLES) {
            if (trailer.value.counts[t] !== counts[t]) {
              add({
                path: `line ${trailer.line}: counts.${t}`,
                message: `the trailer counts ${trailer.value.counts[t]} ${t} rows, the file holds ${counts[t]}`,
              });
            }
          }
          if (trailer.value.sha256 !== digest) {
            add({
              path: `line ${trailer.line}: sha256`,
              message: 'does not match the lines before the trailer: the file was changed after export',
            });
          }
        }
      }
      if (issues.length > 0 || !header) {
        const shown = issues.slice(0, MAX_ISSUES);
        throw Errors.validation(`invalid import: ${shown.map((i) => `${i.path}: ${i.message}`).join('; ')}`, shown);
      }
      return { header, sha256: header.version >= 2 ? digest : null };
    },
  };
}
