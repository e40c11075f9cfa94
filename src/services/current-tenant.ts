import type { Tx } from '../db/context.js';
import { auditRepository } from '../db/repositories/events.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Prisma } from '../generated/prisma/client.js';
import { decodeCursor, type PageQuery, toPage } from './pagination.js';
import { type TenantDto, toTenantDto } from './tenants.js';

export interface SettingsPatch {
  timezone?: string;
  branding?: Record<string, string | null>;
}

/** The caller's own tenant, on the request's tenant transaction. */
export function createCurrentTenantService() {
  async function get(tx: Tx, tenantId: string): Promise<TenantDto> {
    const tenant = await tenantRepository(tx).get(tenantId);
    if (!tenant) throw Errors.notFound('tenant');
    return toTenantDto(tenant);
  }

  return {
    get,

    async updateSettings(tx: Tx, tenantId: string, actorId: string, patch: SettingsPatch): Promise<TenantDto> {
      const current = await get(tx, tenantId);
      const data: Prisma.TenantSettingsUncheckedUpdateInput = {};
      if (patch.timezone !== undefined) data.timezone = patch.timezone;
      if (patch.branding !== undefined) {
        const merged: Record<string, string> = {};
        for (const [k, v] of Object.entries({ ...current.branding, ...patch.branding })) {
          if (typeof v === 'string') merged[k] = v;
        }
        data.branding = merged;
      }
      if (Object.keys(data).length === 0) return current;
      await tenantRepository(tx).updateSettings(tenantId, data);
      await auditRepository(tx, tenantId).record({
        id: newId(),
        action: 'tenant.settings_updated',
        actorId,
        data: patch as Prisma.InputJsonValue,
      });
      return get(tx, tenantId);
    },

    async auditLog(tx: Tx, tenantId: string, query: PageQuery) {
      const rows = await auditRepository(tx, tenantId).list({
        limit: query.limit + 1,
        after: decodeCursor(query.cursor),
      });
      return toPage(rows, query.limit, (e) => ({
        id: e.id,
        action: e.action,
        actorId: e.actorId,
        data: e.data,
        createdAt: e.createdAt.toISOString(),
      }));
    },
  };
}

export type CurrentTenantService = ReturnType<typeof createCurrentTenantService>;
