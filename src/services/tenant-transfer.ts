import type { BulkTransactions } from '../db/bulk-transactions.js';
import type { Tx } from '../db/context.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { TRANSFER_TABLES, type TransferTable, transferReader, transferWriter } from '../db/repositories/transfer.js';
import { Errors } from '../domain/errors.js';
import type { Principal } from '../domain/roles.js';
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

async function writeExport(tx: Tx, tenantId: string, emit: Emit): Promise<void> {
  const reader = transferReader(tx, tenantId);
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

/** Moving a tenant out and back in: a consistent NDJSON export, and an all-or-nothing import. */
export function createTenantTransferService(deps: { bulk: BulkTransactions }) {
  return {
    /**
     * Every row of the tenant, read in batches from one REPEATABLE READ snapshot: on the
     * platform role for a platform admin, in the tenant's own context for its tenant_admin.
     * Another tenant's id is 404 (as if it did not exist); staff and viewers are refused.
     */
    export(
      principal: Principal,
      tenantId: string,
      opts: { onError: (err: unknown) => void },
    ): Promise<ReadableStream<Uint8Array>> {
      if (principal.kind === 'tenant' && principal.role !== 'tenant_admin') {
        return Promise.reject(Errors.forbidden('only a tenant admin may export the tenant'));
      }
      if (principal.kind === 'tenant' && principal.tenantId !== tenantId) {
        return Promise.reject(Errors.notFound('tenant'));
      }
      const run = (fn: (tx: Tx) => Promise<void>) =>
        principal.kind === 'tenant'
          ? deps.bulk.snapshot.tenant({ tenantId, userId: principal.userId }, fn)
          : deps.bulk.snapshot.platform(principal.userId, fn);
      return transactionStream(run, (tx, emit) => writeExport(tx, tenantId, emit), opts);
    },

    /**
     * Restores an export as a new tenant, in one platform transaction: every line is validated
     * first (400 naming the line), an existing id or slug is 409, and nothing is kept unless
     * everything was written. No event is recorded, so export → import → export is identical.
     */
    async import(adminId: string, body: string): Promise<ImportResult> {
      const { header, rows } = parseImport(body);
      const { tenant } = header;
      return deps.bulk.write.platform(adminId, async (tx) => {
        const tenants = tenantRepository(tx);
        if (await tenants.get(tenant.id)) throw Errors.conflict(`a tenant with id ${tenant.id} already exists`);
        if (await tenants.findBySlug(tenant.slug)) throw Errors.tenantSlugTaken(tenant.slug);
        const writer = transferWriter(tx);
        await tenants.create(tenant, tenant.slug);
        for (const table of TRANSFER_TABLES) await writer.insert(table, rows[table]);
        const created = await tenants.get(tenant.id);
        const counts = Object.fromEntries(TRANSFER_TABLES.map((t) => [t, rows[t].length]));
        return { tenant: toTenantDto(created!), counts: counts as ImportResult['counts'] };
      });
    },
  };
}

export type TenantTransferService = ReturnType<typeof createTenantTransferService>;
