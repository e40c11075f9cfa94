import type { PlatformRunner, Tx } from '../db/context.js';
import { eventRepository } from '../db/repositories/events.js';
import { type SettingsWrite, type TenantWithSettings, tenantRepository } from '../db/repositories/tenants.js';
import { Errors } from '../domain/errors.js';
import type { AnyDomainEvent } from '../domain/events.js';
import { newId } from '../domain/ids.js';
import { effectiveLimits, type Plan, type PlanLimits, planOf } from '../domain/tenant/plans.js';
import { type TenantAction, type TenantStatus, transition } from '../domain/tenant/status.js';
import { createTenant } from '../domain/tenant/tenant.js';
import { normaliseEmail } from '../domain/users.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';
import { hashPassword } from './passwords.js';

export interface TenantDto {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  plan: Plan;
  timezone: string;
  limits: PlanLimits;
  features: Record<string, unknown>;
  branding: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export const toTenantDto = (t: TenantWithSettings): TenantDto => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  status: t.status,
  plan: planOf(t.settings?.plan),
  timezone: t.settings?.timezone ?? 'UTC',
  limits: effectiveLimits(t.settings?.plan ?? 'free', t.settings?.limits),
  features: (t.settings?.features ?? {}) as Record<string, unknown>,
  branding: (t.settings?.branding ?? {}) as Record<string, unknown>,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

export interface CreateTenantInput {
  name: string;
  slug: string;
  plan?: Plan;
  timezone?: string;
  admin: { email: string; password: string; name: string };
}

export interface TenantUpdate {
  name?: string;
  plan?: Plan;
  limits?: Record<string, number>;
  features?: Record<string, boolean>;
}

export interface Outbox {
  append(tx: Tx, events: AnyDomainEvent[]): Promise<void>;
}

export const transactionalOutbox: Outbox = { append: (tx, events) => eventRepository(tx).append(events) };

/** Platform-admin use cases. Each runs in one platform-plane transaction. */
export function createTenantService(deps: {
  db: PlatformRunner;
  outbox?: Outbox;
  onEvents?: () => void;
  /** Called after a tenant's plan, limits, status or existence changed (cached profiles go stale). */
  onTenantChanged?: (tenantId: string) => void;
  /** The first admin's password hashing (argon2id by default); the provisioning bench measures without it. */
  hashPassword?: (password: string) => Promise<string>;
}) {
  const outbox = deps.outbox ?? transactionalOutbox;

  const changed = async <T>(id: string, work: Promise<T>): Promise<T> => {
    const result = await work;
    deps.onTenantChanged?.(id);
    return result;
  };

  function changeStatus(adminId: string, id: string, action: TenantAction): Promise<TenantDto> {
    return changed(
      id,
      deps.db.platform(adminId, async ({ tx }) => {
        const tenants = tenantRepository(tx);
        const current = await tenants.get(id);
        if (!current) throw Errors.notFound('tenant');
        return toTenantDto(await tenants.update(id, { status: transition(current.status, action) }));
      }),
    );
  }

  return {
    /** Tenant, settings, first admin and TenantCreated are written atomically, or not at all. */
    async create(adminId: string, input: CreateTenantInput) {
      const plan = input.plan ?? 'free';
      const passwordHash = await (deps.hashPassword ?? hashPassword)(input.admin.password);
      const adminUserId = newId();
      const { tenant, event } = createTenant({ name: input.name, slug: input.slug, plan, adminUserId });
      const result = await deps.db.platform(adminId, async ({ tx }) => {
        const tenants = tenantRepository(tx);
        // A taken slug is the unique index's conflict (409); no lookup before the insert.
        const row = await tenants.create(tenant);
        const settings = await tenants.createSettings({ tenantId: tenant.id, plan, timezone: input.timezone ?? 'UTC' });
        const admin = await tenants.createUser(tenant.id, {
          id: adminUserId,
          email: normaliseEmail(input.admin.email),
          name: input.admin.name,
          role: 'tenant_admin',
          passwordHash,
        });
        await outbox.append(tx, [event]);
        return {
          tenant: toTenantDto({ ...row, settings }),
          admin: { id: admin.id, email: admin.email, name: admin.name, role: admin.role },
        };
      });
      deps.onEvents?.();
      return result;
    },

    async list(adminId: string, query: PageQuery & { status?: TenantStatus }): Promise<Page<TenantDto>> {
      const rows = await deps.db.platform(adminId, ({ tx }) =>
        tenantRepository(tx).list({ limit: query.limit + 1, after: decodeCursor(query.cursor), status: query.status }),
      );
      return toPage(rows, query.limit, toTenantDto);
    },

    async get(adminId: string, id: string): Promise<TenantDto> {
      const row = await deps.db.platform(adminId, ({ tx }) => tenantRepository(tx).get(id));
      if (!row) throw Errors.notFound('tenant');
      return toTenantDto(row);
    },

    update(adminId: string, id: string, patch: TenantUpdate): Promise<TenantDto> {
      const work = deps.db.platform(adminId, async ({ tx }) => {
        const tenants = tenantRepository(tx);
        const current = await tenants.get(id);
        if (!current) throw Errors.notFound('tenant');
        const settings: SettingsWrite = {};
        if (patch.plan) settings.plan = patch.plan;
        if (patch.limits) settings.limits = { ...(current.settings?.limits as object), ...patch.limits };
        if (patch.features) settings.features = { ...(current.settings?.features as object), ...patch.features };
        if (Object.keys(settings).length) await tenants.updateSettings(id, settings);
        return toTenantDto(await tenants.update(id, patch.name ? { name: patch.name } : { updatedAt: new Date() }));
      });
      return changed(id, work);
    },

    suspend: (adminId: string, id: string) => changeStatus(adminId, id, 'suspend'),
    reactivate: (adminId: string, id: string) => changeStatus(adminId, id, 'reactivate'),

    remove(adminId: string, id: string): Promise<void> {
      return changed(
        id,
        deps.db.platform(adminId, ({ tx }) => tenantRepository(tx).remove(id)),
      );
    },

    async events(adminId: string, query: PageQuery & { type?: string; tenantId?: string }) {
      const rows = await deps.db.platform(adminId, ({ tx }) =>
        eventRepository(tx).list({ ...query, limit: query.limit + 1, after: decodeCursor(query.cursor) }),
      );
      return toPage(rows, query.limit, (e) => ({
        id: e.id,
        type: e.type,
        tenantId: e.tenantId,
        payload: e.payload,
        occurredAt: e.occurredAt.toISOString(),
        dispatchedAt: e.dispatchedAt?.toISOString() ?? null,
      }));
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
