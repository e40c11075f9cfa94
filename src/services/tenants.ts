import type { PlatformRunner, Tx } from '../db/context.js';
import { eventRepository } from '../db/repositories/events.js';
import { platformSigningKeyRepository, type SigningKeyWrite } from '../db/repositories/signing-keys.js';
import { type SettingsWrite, tenantRepository } from '../db/repositories/tenants.js';
import { DomainError, Errors } from '../domain/errors.js';
import { type AnyDomainEvent, domainEvent } from '../domain/events.js';
import { newId } from '../domain/ids.js';
import {
  applyOverrides,
  canonicalPlan,
  effectiveLimits,
  limitsExceeded,
  type PlanInput,
  planOf,
} from '../domain/tenant/plans.js';
import {
  assertRestorable,
  assertTransition,
  purgeAfter,
  type TenantAction,
  type TenantStatus,
  TRANSITIONS,
} from '../domain/tenant/status.js';
import { createTenant } from '../domain/tenant/tenant.js';
import { normaliseEmail } from '../domain/users.js';
import { type ActorRef, adminIdOf, audited } from './audit.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';
import { hashPassword } from './passwords.js';
import { type TenantDto, toTenantDto } from './tenant-dto.js';

export interface CreateTenantInput {
  name: string;
  slug: string;
  /** A plan or a deprecated alias of one (`free`, `standard`). */
  plan?: PlanInput;
  timezone?: string;
  admin: { email: string; password: string; name: string };
}

export interface TenantUpdate {
  name?: string;
  plan?: PlanInput;
  /** Overrides of the plan's limits; null removes one. */
  limits?: Record<string, number | null>;
  /** Feature switches; null removes one (the plan's default applies again). */
  features?: Record<string, boolean | null>;
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
  /** Days a deleted tenant can be restored before the sweep purges it. */
  graceDays?: number;
  /** The first admin's password hashing (argon2id by default); the provisioning bench measures without it. */
  hashPassword?: (password: string) => Promise<string>;
  /** Per-tenant signing keys: a new tenant's key, written in the tenant's own transaction. */
  newSigningKey?: (tenantId: string) => Promise<SigningKeyWrite>;
}) {
  const outbox = deps.outbox ?? transactionalOutbox;
  const graceDays = deps.graceDays ?? 30;

  const changed = async <T>(id: string, work: Promise<T>): Promise<T> => {
    const result = await work;
    deps.onTenantChanged?.(id);
    return result;
  };

  type StatusAction = Exclude<TenantAction, 'purge'>;
  const STATUS_EVENTS = {
    suspend: 'TenantSuspended',
    reactivate: 'TenantReactivated',
    delete: 'TenantDeleted',
    restore: 'TenantRestored',
  } as const satisfies Record<StatusAction, AnyDomainEvent['type']>;

  /**
   * One move of the state machine: checked here (naming the current status), written only if
   * the status is still the one read, refused again by the database's trigger otherwise, and
   * recorded as an event in the same transaction.
   */
  async function changeStatus(actor: ActorRef, id: string, action: StatusAction): Promise<TenantDto> {
    const now = new Date();
    const adminId = adminIdOf(actor);
    const result = await changed(
      id,
      deps.db.platform(
        adminId,
        audited(actor, async ({ tx }) => {
          const tenants = tenantRepository(tx);
          const current = await tenants.get(id);
          if (!current) throw Errors.notFound('tenant');
          assertTransition(current.status, action);
          if (action === 'restore') assertRestorable(current.purgeAfter, now);
          const to = TRANSITIONS[action].to as TenantStatus;
          const until = action === 'delete' ? purgeAfter(now, graceDays) : undefined;
          const moved = await tenants.moveStatus(id, TRANSITIONS[action].from, {
            status: to,
            ...(until ? { purgeAfter: until } : {}),
          });
          if (!moved) {
            const latest = await tenants.get(id);
            if (!latest) throw Errors.notFound('tenant');
            assertTransition(latest.status, action);
            throw Errors.invalidTransition(action, latest.status);
          }
          await outbox.append(tx, [
            domainEvent(STATUS_EVENTS[action], id, {
              tenantId: id,
              actorId: adminId,
              from: current.status,
              to,
              ...(until ? { purgeAfter: until.toISOString() } : {}),
            }),
          ]);
          const row = await tenants.get(id);
          if (!row) throw Errors.notFound('tenant');
          return toTenantDto(row);
        }),
      ),
    );
    deps.onEvents?.();
    return result;
  }

  /** Purge: every row of the tenant goes in one transaction; TenantPurged keeps the counts. */
  async function purge(
    adminId: string | null,
    id: string,
  ): Promise<{ tenantId: string; counts: Record<string, number> }> {
    const result = await changed(
      id,
      deps.db.platform(adminId, async ({ tx }) => {
        const tenants = tenantRepository(tx);
        const current = await tenants.get(id);
        if (!current) throw Errors.notFound('tenant');
        assertTransition(current.status, 'purge');
        const counts = await tenants.rowCounts(id);
        if (!(await tenants.purge(id))) {
          const latest = await tenants.get(id);
          if (!latest) throw Errors.notFound('tenant');
          throw Errors.invalidTransition('purge', latest.status);
        }
        await outbox.append(tx, [domainEvent('TenantPurged', id, { tenantId: id, actorId: adminId, counts })]);
        return { tenantId: id, counts };
      }),
    );
    deps.onEvents?.();
    return result;
  }

  return {
    /** Tenant, settings, first admin and TenantCreated are written atomically, or not at all. */
    async create(actor: ActorRef | null, input: CreateTenantInput) {
      const adminId = actor === null ? null : adminIdOf(actor);
      const plan = canonicalPlan(input.plan ?? 'basic') ?? 'basic';
      const passwordHash = await (deps.hashPassword ?? hashPassword)(input.admin.password);
      const adminUserId = newId();
      const { tenant, event } = createTenant({ name: input.name, slug: input.slug, plan, adminUserId });
      const signingKey = await deps.newSigningKey?.(tenant.id);
      const result = await deps.db.platform(
        adminId,
        audited(actor, async ({ tx }) => {
          const tenants = tenantRepository(tx);
          // A taken slug is the unique index's conflict (409); no lookup before the insert.
          const row = await tenants.create(tenant);
          const settings = await tenants.createSettings({
            tenantId: tenant.id,
            plan,
            timezone: input.timezone ?? 'UTC',
          });
          const admin = await tenants.createUser(tenant.id, {
            id: adminUserId,
            email: normaliseEmail(input.admin.email),
            name: input.admin.name,
            role: 'tenant_admin',
            passwordHash,
          });
          if (signingKey) await platformSigningKeyRepository(tx).create(tenant.id, signingKey);
          await outbox.append(tx, [event]);
          return {
            tenant: toTenantDto({ ...row, settings }),
            admin: { id: admin.id, email: admin.email, name: admin.name, role: admin.role },
          };
        }),
      );
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

    /**
     * Name, plan, limit overrides and features. A plan or limits change that would leave current
     * usage over a limit is refused (409 conflict naming it): the tenant's settings row is locked
     * first — the lock every limited create takes — so no create can slip in between the count
     * and the change.
     */
    async update(actor: ActorRef, id: string, patch: TenantUpdate): Promise<TenantDto> {
      const adminId = adminIdOf(actor);
      const work = deps.db.platform(
        adminId,
        audited(actor, async ({ tx }) => {
          const tenants = tenantRepository(tx);
          const current = await tenants.get(id);
          if (!current) throw Errors.notFound('tenant');
          if (current.status === 'deleted') throw Errors.invalidTransition('update', current.status);
          const fromPlan = planOf(current.settings?.plan);
          const toPlan = patch.plan ? planOf(patch.plan) : undefined;
          const settings: SettingsWrite = {};
          if (toPlan) settings.plan = toPlan;
          if (patch.limits) settings.limits = applyOverrides<number>(current.settings?.limits, patch.limits);
          if (patch.features) settings.features = applyOverrides<boolean>(current.settings?.features, patch.features);
          if (settings.plan !== undefined || settings.limits !== undefined) {
            const locked = await tenants.lockSettings(id);
            if (!locked) throw Errors.notFound('tenant');
            const limits = effectiveLimits(settings.plan ?? locked.plan, settings.limits ?? locked.limits);
            const over = limitsExceeded(limits, await tenants.countedUsage(id));
            if (over.length > 0) throw Errors.overLimit(over);
          }
          if (Object.keys(settings).length) await tenants.updateSettings(id, settings);
          const row = await tenants.update(id, patch.name ? { name: patch.name } : { updatedAt: new Date() });
          const events: AnyDomainEvent[] = [];
          const changedFields = Object.keys(patch).filter((k) => patch[k as keyof TenantUpdate] !== undefined);
          if (changedFields.length > 0) {
            events.push(domainEvent('TenantUpdated', id, { tenantId: id, actorId: adminId, changed: changedFields }));
          }
          if (toPlan && toPlan !== fromPlan) {
            events.push(
              domainEvent('TenantPlanChanged', id, { tenantId: id, actorId: adminId, from: fromPlan, to: toPlan }),
            );
          }
          await outbox.append(tx, events);
          return toTenantDto(row);
        }),
      );
      const result = await changed(id, work);
      deps.onEvents?.();
      return result;
    },

    suspend: (actor: ActorRef, id: string) => changeStatus(actor, id, 'suspend'),
    reactivate: (actor: ActorRef, id: string) => changeStatus(actor, id, 'reactivate'),
    /** Soft delete: the tenant's users lose access at once; restorable during the grace period. */
    remove: (actor: ActorRef, id: string) => changeStatus(actor, id, 'delete'),
    restore: (actor: ActorRef, id: string) => changeStatus(actor, id, 'restore'),
    /** The tenant's audit log goes with it: the purge's record is the TenantPurged platform event. */
    purge: (actor: ActorRef, id: string) => purge(adminIdOf(actor), id),

    /** Purges deleted tenants whose grace period is over, one transaction each; returns their ids. */
    async sweep(now = new Date(), limit = 100): Promise<string[]> {
      const due = await deps.db.platform(null, ({ tx }) => tenantRepository(tx).duePurges(now, limit));
      const purged: string[] = [];
      for (const id of due) {
        try {
          await purge(null, id);
          purged.push(id);
        } catch (err) {
          // Restored (or purged by someone else) since it was listed: nothing to do.
          if (!(err instanceof DomainError)) throw err;
        }
      }
      return purged;
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
