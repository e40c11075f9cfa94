import type { PlatformScope, TenantScope } from '../db/context.js';
import {
  type ActorType,
  type AuditRecord,
  type AuditRow,
  auditRepository,
  type JsonValue,
  platformAuditRepository,
} from '../db/repositories/events.js';
import { newId } from '../domain/ids.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';

/** Where an audited change's entry goes and what it names, once the change's result is known. */
export interface AuditLocation {
  /** The tenant whose log gets the entry (platform actions; a tenant request writes its own). */
  tenantId?: string | null;
  /** The actor, when only the change names it (a self-service registration's new admin). */
  actorId?: string | null;
  targetId: string | null;
  data: Record<string, unknown>;
}

/**
 * A change that must leave an audit entry, made by the request layer from the route's
 * declaration: who acts, the action, and how the target is found in the change's result.
 */
export interface AuditIntent {
  readonly action: string;
  readonly targetType: string;
  /** Null until the change names it (see AuditLocation.actorId). */
  readonly actorId: string | null;
  readonly actorType: Exclude<ActorType, 'system'>;
  readonly requestId: string | null;
  /** A platform admin's reason (X-Audit-Reason), already validated. */
  readonly reason: string | null;
  locate(result: unknown): AuditLocation;
  /** Set once the entry is written, so the request can tell that an audited change wrote one. */
  written: boolean;
  /** The object the handler answered with (`c.json`), kept so the body is not read back. */
  answered?: { value: unknown };
}

/** The acting platform admin, and the audit entry their change must write (when the route declares one). */
export interface PlatformActor {
  /** Null for a public route's change (self-service registration): no platform admin acts. */
  readonly adminId: string | null;
  readonly audit?: AuditIntent;
}

/** Platform services take the admin's id (the server's own work, the CLI) or a request's actor. */
export type ActorRef = string | PlatformActor;

export const adminIdOf = (actor: ActorRef): string | null => (typeof actor === 'string' ? actor : actor.adminId);

function entryOf(intent: AuditIntent, located: AuditLocation): AuditRecord {
  return {
    id: newId(),
    action: intent.action,
    actorId: located.actorId ?? intent.actorId,
    actorType: intent.actorType,
    targetType: intent.targetType,
    targetId: located.targetId,
    requestId: intent.requestId,
    reason: intent.reason,
    data: located.data as JsonValue,
  };
}

/** Writes a tenant request's entry on its own transaction, after the handler and before the commit. */
export async function recordInTenant(scope: TenantScope, intent: AuditIntent, result: unknown): Promise<void> {
  await auditRepository(scope).record(entryOf(intent, intent.locate(result)));
  intent.written = true;
}

/**
 * A platform transaction's work with its audit entry: when the actor carries an intent, the
 * entry is written into the target tenant's log by the same transaction, after the work and
 * before the commit — the change and its entry commit together or not at all (a failed
 * insert rolls the change back).
 */
export function audited<T>(
  actor: ActorRef | null,
  fn: (scope: PlatformScope) => Promise<T>,
): (scope: PlatformScope) => Promise<T> {
  const intent = actor === null || typeof actor === 'string' ? undefined : actor.audit;
  if (!intent) return fn;
  return async (scope) => {
    const result = await fn(scope);
    const located = intent.locate(result);
    if (!located.tenantId) throw new Error(`audit ${intent.action}: the change names no tenant to record it in`);
    await platformAuditRepository(scope).record(located.tenantId, entryOf(intent, located));
    intent.written = true;
    return result;
  };
}

/**
 * A platform admin acting outside a request (the tenant CLI): the same entry the API's route
 * writes, with the operator's reason and no request id. The tenant is the one named, or the
 * one the change created.
 */
export function operatorActor(
  adminId: string,
  action: string,
  opts: { reason: string | null; tenantId?: string; data?: Record<string, unknown> },
): PlatformActor {
  const tenantOf = (result: unknown) =>
    opts.tenantId ?? (result as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? null;
  return {
    adminId,
    audit: {
      action,
      targetType: 'tenant',
      actorId: adminId,
      actorType: 'platform_admin',
      requestId: null,
      reason: opts.reason,
      written: false,
      locate: (result) => ({ tenantId: tenantOf(result), targetId: tenantOf(result), data: opts.data ?? {} }),
    },
  };
}

export interface AuditEntryDto {
  id: string;
  action: string;
  actorId: string | null;
  actorType: ActorType;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  reason: string | null;
  data: unknown;
  createdAt: string;
}

const toDto = (e: AuditRow): AuditEntryDto => ({
  id: e.id,
  action: e.action,
  actorId: e.actorId,
  actorType: e.actorType as ActorType,
  targetType: e.targetType,
  targetId: e.targetId,
  requestId: e.requestId,
  reason: e.reason,
  data: e.data,
  createdAt: e.createdAt.toISOString(),
});

export type AuditListQuery = PageQuery & { action?: string; actor?: string; from?: Date; to?: Date };

/** The audit log: what a tenant admin reads, and whether platform actions must give a reason. */
export function createAuditService(opts: { requireReason?: boolean } = {}) {
  return {
    /** REQUIRE_AUDIT_REASON: platform actions on a tenant must say why. */
    requireReason: opts.requireReason ?? false,

    async list(scope: TenantScope, query: AuditListQuery): Promise<Page<AuditEntryDto>> {
      const rows = await auditRepository(scope).list({
        limit: query.limit + 1,
        after: decodeCursor(query.cursor),
        action: query.action,
        actorId: query.actor,
        from: query.from,
        to: query.to,
      });
      return toPage(rows, query.limit, toDto);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
