import { createHash } from 'node:crypto';
import type { BulkTransactions } from '../db/bulk-transactions.js';
import type { PlatformRunner, TenantContext, TenantRunner, Tx } from '../db/context.js';
import { auditRepository, platformAuditRepository } from '../db/repositories/events.js';
import { TRANSFER_TABLES, transferReader } from '../db/repositories/transfer.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { type ActorRef, type AuditIntent, adminIdOf, audited, recordInTenant } from './audit.js';
import { type Emit, transactionStream } from './transaction-stream.js';
import { EXPORT_END_TYPE, EXPORT_TYPE, EXPORT_VERSION, plainRow } from './transfer-format.js';
import { type ImportOptions, type ImportResult, type ImportSource, importRows } from './transfer-import.js';

export type { ImportMode, ImportOptions, ImportResult } from './transfer-import.js';

import type { LineLimits } from './transfer-lines.js';
import { zeroCounts } from './transfer-parse.js';

const BATCH_ROWS = 500;
const CHUNK_CHARS = 64 * 1024;

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

async function writeExport(tx: Tx, tenantId: string, credentials: boolean, emit: Emit): Promise<void> {
  const reader = transferReader({ tx, tenantId }, { credentials });
  const tenant = await reader.tenant();
  if (!tenant) throw Errors.notFound('tenant');
  const hash = createHash('sha256');
  const counts = zeroCounts();
  let buffer = line({ type: EXPORT_TYPE, version: EXPORT_VERSION, tenant: plainRow(tenant) });
  for (const table of TRANSFER_TABLES) {
    for await (const rows of reader.batches(table, BATCH_ROWS)) {
      for (const row of rows) buffer += line({ table, row: plainRow(row) });
      counts[table] += rows.length;
      if (buffer.length >= CHUNK_CHARS) {
        hash.update(buffer);
        await emit(buffer);
        buffer = '';
      }
    }
  }
  hash.update(buffer);
  await emit(buffer + line({ type: EXPORT_END_TYPE, counts, sha256: hash.digest('hex') }));
}

export interface ExportOptions {
  /** Reports a failure after the stream has started (the response can no longer change). */
  onError: (err: unknown) => void;
}

/** The entry of an export made outside a request (the CLI); a request's comes from its route. */
const exported = (actorId: string, actorType: 'user' | 'platform_admin', tenantId: string, credentials: boolean) => ({
  id: newId(),
  action: 'tenant.exported',
  actorId,
  actorType,
  targetType: 'tenant',
  targetId: tenantId,
  data: { credentials },
});

/** Moving a tenant out and back in: a consistent NDJSON export, and an all-or-nothing import. */
export function createTenantTransferService(deps: {
  bulk: BulkTransactions;
  tenantDb: TenantRunner;
  platformDb: PlatformRunner;
  importLimits?: Partial<LineLimits>;
}) {
  /**
   * Streams from one REPEATABLE READ snapshot, then records the export in the tenant's audit
   * log in a transaction of its own: after the snapshot was taken, so the entry is never part
   * of the export it describes (export → import → export stays identical).
   */
  async function stream(
    run: (fn: (tx: Tx) => Promise<void>) => Promise<void>,
    tenantId: string,
    credentials: boolean,
    audit: () => Promise<void>,
    opts: ExportOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    const body = await transactionStream(run, (tx, emit) => writeExport(tx, tenantId, credentials, emit), opts);
    await audit();
    return body;
  }

  return {
    /**
     * A tenant admin's export of its own tenant (the access rule admits tenant_admin only):
     * another tenant's id is 404, as if it did not exist. Never holds credential hashes.
     */
    exportOwn(
      context: TenantContext & { userId: string },
      tenantId: string,
      opts: ExportOptions & { audit?: AuditIntent },
    ): Promise<ReadableStream<Uint8Array>> {
      if (context.tenantId !== tenantId) return Promise.reject(Errors.notFound('tenant'));
      const { audit } = opts;
      return stream(
        (fn) => deps.bulk.snapshot.tenant(context, (scope) => fn(scope.tx)),
        tenantId,
        false,
        () =>
          deps.tenantDb.tenant(context, (scope) =>
            audit
              ? recordInTenant(scope, audit, undefined)
              : auditRepository(scope).record(exported(context.userId, 'user', tenantId, false)),
          ),
        opts,
      );
    },

    /** A platform admin's export of any tenant; password hashes only when explicitly asked for. */
    exportAny(
      actor: ActorRef,
      tenantId: string,
      query: { includeCredentials: boolean },
      opts: ExportOptions,
    ): Promise<ReadableStream<Uint8Array>> {
      const credentials = query.includeCredentials;
      const adminId = adminIdOf(actor);
      return stream(
        (fn) => deps.bulk.snapshot.platform(adminId, (scope) => fn(scope.tx)),
        tenantId,
        credentials,
        () =>
          deps.platformDb.platform(
            adminId,
            typeof actor === 'string'
              ? (scope) =>
                  platformAuditRepository(scope).record(
                    tenantId,
                    exported(actor, 'platform_admin', tenantId, credentials),
                  )
              : audited(actor, async () => undefined),
          ),
        opts,
      );
    },

    /**
     * Writes an export as a tenant, in one platform transaction, as it streams in: each line is
     * validated as it arrives (400 naming the line), rows are written in batches, and the
     * trailer's counts and SHA-256 are checked at the end — a truncated or edited export is
     * refused and nothing is kept. `restore` keeps the export's ids (an existing id or slug is
     * 409); `clone` writes it beside its source under a new id and slug, every id remapped. No
     * event is recorded, so export → import → export is identical.
     */
    import(adminId: string, source: ImportSource, options: ImportOptions = {}): Promise<ImportResult> {
      return importRows(deps.bulk.write, adminId, source, options, deps.importLimits);
    },
  };
}

export type TenantTransferService = ReturnType<typeof createTenantTransferService>;
