import type { TenantScope } from '../db/context.js';
import { auditRepository } from '../db/repositories/events.js';
import { ownTenantRepository, type SettingsWrite } from '../db/repositories/tenants.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { decodeCursor, type PageQuery, toPage } from './pagination.js';
import { type TenantDto, toTenantDto } from './tenant-dto.js';

export interface SettingsPatch {
  timezone?: string;
  branding?: Record<string, string | null>;
}

/** The caller's own tenant, on the request's tenant transaction. */
export function createCurrentTenantService() {
  async function get(scope: TenantScope): Promise<TenantDto> {
    const tenant = await ownTenantRepository(scope).get();
    if (!tenant) throw Errors.notFound('tenant');
    return toTenantDto(tenant);
  }

  return {
    get,

    /** Settings change and its audit entry in the same transaction. */
    async updateSettings(scope: TenantScope, patch: SettingsPatch): Promise<TenantDto> {
      const current = await get(scope);
      const data: SettingsWrite = {};
      if (patch.timezone !== undefined) data.timezone = patch.timezone;
      if (patch.branding !== undefined) {
        const merged: Record<string, string> = {};
        for (const [k, v] of Object.entries({ ...current.branding, ...patch.branding })) {
          if (typeof v === 'string') merged[k] = v;
        }
        data.branding = merged;
      }
      if (Object.keys(data).length === 0) return current;
      await ownTenantRepository(scope).updateSettings(data);
      await auditRepository(scope).record({
        id: newId(),
        action: 'tenant.settings_updated',
        actorId: scope.userId,
        data: { ...patch },
      });
      return get(scope);
    },

    async auditLog(scope: TenantScope, query: PageQuery) {
      const rows = await auditRepository(scope).list({ limit: query.limit + 1, after: decodeCursor(query.cursor) });
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
