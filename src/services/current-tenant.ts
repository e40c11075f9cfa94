import type { TenantScope } from '../db/context.js';
import { ownTenantRepository, type SettingsWrite } from '../db/repositories/tenants.js';
import { Errors } from '../domain/errors.js';
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

    /** The request's audit entry (tenant.settings_updated) is written on the same transaction. */
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
      return get(scope);
    },
  };
}

export type CurrentTenantService = ReturnType<typeof createCurrentTenantService>;
