import type { BulkTransactions } from '../db/bulk-transactions.js';
import type { PlatformRunner, TenantContext, TenantRunner, Tx } from '../db/context.js';
import { auditRepository, platformAuditRepository } from '../db/repositories/events.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { TRANSFER_TABLES, type TransferTable, transferReader, transferWriter } from '../db/repositories/transfer.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { type TenantDto, toTenantDto } from './tenants.js';
import { type Emit, transactionStream } from './transaction-stream.js';
import { EXPORT_TYPE, EXPORT_VERSION, plainRow } from './transfer-format.js';
import { parseImport } from './transfer-parse.js';

const BATCH_ROWS = 500;
const CHUNK_CHARS = 64 * 1024;

export interface ImportResult {
  tenant: TenantDto;
  counts: Record<TransferTable, number>;
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

async function writeExport(tx: Tx, tenantId: string, credentials: boolean, emit: Emit): Promise<void> {
  const reader = transferReader({ tx, tenantId }, { credentials });
  const tenant = await reader.tenant();
  if (!tenant) throw Errors.notFound('tenant');
  let buffer = line({ type: EXPORT_TYPE, version: EXPORT_VERSION, tenant: plainRow(tenant) });
  for (const table of TRANSFER_TABLES) {
    for await (const rows of reader.batches(table, BATCH_ROWS)) {
      for (const row of rows) buffer += line({ table, row: plainRow(row) });
      if (buffer.length >= CHUNK_CHARS) {
        await emit(buffer);
        buffer = '';
      }
    }
  }
  await emit(buffer);
}

export interface ExportOptions {
  /** Reports a failure after the stream has started (the response can no longer change). */
  onError: (err: unknown) => void;
}

const exported = (actorId: string | null, credentials: boolean) => ({
  id: newId(),
  action: 'tenant.exported',
  actorId,
  data: { credentials },
});

/** Moving a tenant out and back in: a consistent NDJSON export, and an all-or-nothing import. */
export function createTenantTransferService(deps: {
  bulk: BulkTransactions;
  tenantDb: TenantRunner;
  platformDb: PlatformRunner;
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
    exportOwn(context: TenantContext, tenantId: string, opts: ExportOptions): Promise<ReadableStream<Uint8Array>> {
      if (context.tenantId !== tenantId) return Promise.reject(Errors.notFound('tenant'));
      return stream(
        (fn) => deps.bulk.snapshot.tenant(context, (scope) => fn(scope.tx)),
        tenantId,
        false,
        () => deps.tenantDb.tenant(context, (scope) => auditRepository(scope).record(exported(context.userId, false))),
        opts,
      );
    },

    /** A platform admin's export of any tenant; password hashes only when explicitly asked for. */
    exportAny(
      adminId: string,
      tenantId: string,
      query: { includeCredentials: boolean },
      opts: ExportOptions,
    ): Promise<ReadableStream<Uint8Array>> {
      const credentials = query.includeCredentials;
      return stream(
        (fn) => deps.bulk.snapshot.platform(adminId, (scope) => fn(scope.tx)),
        tenantId,
        credentials,
        () =>
          deps.platformDb.platform(adminId, (scope) =>
            platformAuditRepository(scope).record(tenantId, exported(adminId, credentials)),
          ),
        opts,
      );
    },

    /**
     * Restores an export as a new tenant, in one platform transaction: every line is validated
     * first (400 naming the line), an existing id or slug is 409, and nothing is kept unless
     * everything was written. No event is recorded, so export → import → export is identical.
     * Users exported without credentials are imported without a usable password.
     */
    async import(adminId: string, body: string): Promise<ImportResult> {
      const { header, rows } = parseImport(body);
      const { tenant } = header;
      return deps.bulk.write.platform(adminId, async ({ tx }) => {
        const tenants = tenantRepository(tx);
        if (await tenants.get(tenant.id)) throw Errors.conflict(`a tenant with id ${tenant.id} already exists`);
        if (await tenants.findBySlug(tenant.slug)) throw Errors.tenantSlugTaken(tenant.slug);
        const writer = transferWriter(tx);
        await tenants.create(tenant);
        for (const table of TRANSFER_TABLES) await writer.insert(table, rows[table]);
        const created = await tenants.get(tenant.id);
        const counts = Object.fromEntries(TRANSFER_TABLES.map((t) => [t, rows[t].length]));
        return { tenant: toTenantDto(created!), counts: counts as ImportResult['counts'] };
      });
    },
  };
}

export type TenantTransferService = ReturnType<typeof createTenantTransferService>;
