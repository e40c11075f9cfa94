import type { PlatformRunner, Tx } from '../db/context.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { type TransferTable, transferWriter } from '../db/repositories/transfer.js';
import { Errors } from '../domain/errors.js';
import { domainEvent } from '../domain/events.js';
import { newId } from '../domain/ids.js';
import { SLUG_PATTERN } from '../domain/tenant/tenant.js';
import { type TenantDto, toTenantDto } from './tenant-dto.js';
import { transactionalOutbox } from './tenants.js';
import { cloneMapper } from './transfer-clone.js';
import type { TenantHeader } from './transfer-format.js';
import { type LineLimits, type SourceLine, sourceLines } from './transfer-lines.js';
import { type ImportRow, importValidator } from './transfer-parse.js';

export interface ImportResult {
  tenant: TenantDto;
  counts: Record<TransferTable, number>;
  /** How the tenant was written: under the export's ids, or as a clone with new ones. */
  mode: ImportMode;
  /** The verified SHA-256 of the export (null for a version 1 export, which has none). */
  sha256: string | null;
}

export type ImportMode = 'restore' | 'clone';
export type ImportOptions = { mode?: 'restore' } | { mode: 'clone'; slug: string; name?: string };

/** The bytes of an export: a request body, a file stream. */
export type ImportSource = AsyncIterable<Uint8Array>;

const BATCH_ROWS = 1000;
export const DEFAULT_IMPORT_LIMITS: LineLimits = { maxBytes: 1024 ** 3, maxLineChars: 1024 * 1024 };

/** Rows of one table from consecutive lines, written as one statement. */
class Batch {
  table: TransferTable | undefined;
  rows: unknown[] = [];
  first = 0;
  last = 0;

  add(n: number, item: ImportRow): boolean {
    if (this.rows.length === 0) {
      this.table = item.table;
      this.first = n;
    }
    this.rows.push(item.row);
    this.last = n;
    return this.rows.length >= BATCH_ROWS;
  }

  async flush(writer: ReturnType<typeof transferWriter>): Promise<void> {
    if (!this.table || this.rows.length === 0) return;
    const lines = this.first === this.last ? `line ${this.first}` : `lines ${this.first}-${this.last}`;
    await writer.insert(this.table, this.rows as never[], lines);
    this.rows = [];
    this.table = undefined;
  }
}

async function writeTenant(tx: Tx, tenant: TenantHeader['tenant']): Promise<void> {
  const tenants = tenantRepository(tx);
  if (await tenants.get(tenant.id)) throw Errors.conflict(`a tenant with id ${tenant.id} already exists`);
  if (await tenants.findBySlug(tenant.slug)) throw Errors.tenantSlugTaken(tenant.slug);
  await tenants.create(tenant);
}

/**
 * The import's story: read up to the header outside any transaction (a file that is not an
 * export opens none), then in one platform transaction create the tenant and write the rows
 * in batches as the lines arrive and pass validation, stop writing at the first problem, and
 * let the trailer check decide at the end: any issue throws, and the transaction rolls back.
 * Memory holds one batch and one line, whatever the size of the export.
 */
export async function importRows(
  db: PlatformRunner,
  adminId: string,
  source: ImportSource,
  options: ImportOptions,
  limits: Partial<LineLimits> = {},
): Promise<ImportResult> {
  const bounds = {
    maxBytes: limits.maxBytes ?? DEFAULT_IMPORT_LIMITS.maxBytes,
    maxLineChars: limits.maxLineChars ?? DEFAULT_IMPORT_LIMITS.maxLineChars,
  };
  const lines = sourceLines(source, bounds)[Symbol.asyncIterator]();
  const check = importValidator();
  let header: TenantHeader | undefined;
  while (!header && !check.stopped) {
    const next = await lines.next();
    if (next.done) break;
    header = (check.line(next.value.n, next.value.text) as { header?: TenantHeader } | undefined)?.header;
  }
  if (!header) {
    check.finish();
    throw Errors.validation('invalid import: expected the tenantry-export header');
  }
  const source_ = header.tenant;
  if (options.mode === 'clone' && !SLUG_PATTERN.test(options.slug)) {
    throw Errors.validation('invalid clone slug', [{ path: 'slug', message: 'must be a valid tenant slug' }]);
  }

  return db.platform(adminId, async ({ tx }) => {
    const writer = transferWriter(tx);
    const clone =
      options.mode === 'clone'
        ? cloneMapper(
            source_,
            { id: newId(), slug: options.slug, name: options.name ?? source_.name },
            await writer.platformAdminIds(),
          )
        : undefined;
    const tenant = clone ? clone.tenant() : source_;
    await writeTenant(tx, tenant);

    const batch = new Batch();
    while (!check.stopped) {
      const next: IteratorResult<SourceLine> = await lines.next();
      if (next.done) break;
      const { n, text } = next.value;
      const item = check.line(n, text) as ImportRow | undefined;
      if (check.failed || !item || !('table' in item)) continue;
      if (batch.table && batch.table !== item.table) await batch.flush(writer);
      if (batch.add(n, clone ? clone.row(item) : item)) await batch.flush(writer);
    }
    if (!check.failed) await batch.flush(writer);
    const { sha256 } = check.finish();

    const created = await tenantRepository(tx).get(tenant.id);
    const mode = clone ? 'clone' : 'restore';
    await transactionalOutbox.append(tx, [
      domainEvent('TenantImported', tenant.id, {
        tenantId: tenant.id,
        actorId: adminId,
        mode,
        sourceId: source_.id,
        counts: { ...check.counts },
        sha256,
      }),
    ]);
    return {
      tenant: toTenantDto(created!),
      counts: { ...check.counts },
      mode,
      sha256,
    };
  });
}
