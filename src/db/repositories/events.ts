import { type AnyDomainEvent, isPlatformEventType } from '../../domain/events.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { PlatformScope, SqlRows, TenantScope, Tx } from '../context.js';

export type EventRow = Prisma.DomainEventGetPayload<object>;
export type AuditRow = Prisma.AuditEntryGetPayload<object>;
export type JsonValue = Prisma.InputJsonValue;

export type DeliveryStatus = 'pending' | 'dispatched' | 'failed';

export interface EventQuery {
  limit: number;
  after?: string;
  type?: string;
  tenantId?: string;
  status?: DeliveryStatus;
}

/** A failed delivery attempt: the error's text, and when to retry (null: dead letter). */
export interface DeliveryFailure {
  attempts: number;
  error: string;
  retryAt: Date | null;
}

export const failureUpdate = (f: DeliveryFailure) => ({
  attempts: f.attempts,
  lastError: f.error.slice(0, 1000),
  ...(f.retryAt ? { nextAttemptAt: f.retryAt } : { failedAt: new Date() }),
});

/** The rows of one delivery state (both outbox tables have the same bookkeeping columns). */
export function deliveryState(status?: DeliveryStatus) {
  if (status === 'dispatched') return { dispatchedAt: { not: null } };
  if (status === 'failed') return { failedAt: { not: null } };
  if (status === 'pending') return { dispatchedAt: null, failedAt: null };
  return {};
}

/** The transactional outbox: events are written in the transaction that made them true. */
export function eventRepository(tx: Tx) {
  return {
    async append(all: AnyDomainEvent[]): Promise<void> {
      // Events that outlive the tenant's rows go to the platform outbox, keyed by subject.
      const outliving = all.filter((e) => isPlatformEventType(e.type));
      if (outliving.length > 0) {
        await tx.platformEvent.createMany({
          data: outliving.map((e) => ({
            id: e.id,
            type: e.type,
            subjectId: e.tenantId,
            payload: e.payload as unknown as Prisma.InputJsonValue,
            occurredAt: e.occurredAt,
          })),
        });
      }
      const events = all.filter((e) => !isPlatformEventType(e.type));
      if (events.length === 0) return;
      await tx.domainEvent.createMany({
        data: events.map((e) => ({
          tenantId: e.tenantId,
          id: e.id,
          type: e.type,
          payload: e.payload as unknown as Prisma.InputJsonValue,
          occurredAt: e.occurredAt,
        })),
      });
    },
    list(query: EventQuery): Promise<EventRow[]> {
      const where: Prisma.DomainEventWhereInput = { ...deliveryState(query.status) };
      if (query.after) where.id = { gt: query.after };
      if (query.type) where.type = query.type;
      if (query.tenantId) where.tenantId = query.tenantId;
      return tx.domainEvent.findMany({ where, orderBy: { id: 'asc' }, take: query.limit });
    },
    /**
     * Tenants that have undispatched events: a plain read, no lock. On Citus it is the one
     * statement that visits every shard, and it may be stale; the claim below decides.
     */
    async pendingTenants(limit: number): Promise<string[]> {
      const rows = await tx.$queryRaw<{ tenant_id: string }[]>`
        SELECT DISTINCT tenant_id FROM domain_events
         WHERE dispatched_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
         LIMIT ${limit}`;
      return rows.map((r) => r.tenant_id);
    },
    /**
     * Claims one tenant's undispatched events; SKIP LOCKED lets several instances dispatch side
     * by side. The tenant_id filter keeps the row lock on one shard: Citus refuses a FOR UPDATE
     * that spans shards.
     */
    claimPending(tenantId: string, limit: number) {
      return tx.$queryRaw<{ tenant_id: string; id: string; type: string; payload: unknown; attempts: number }[]>`
        SELECT tenant_id, id, type, payload, attempts FROM domain_events
         WHERE tenant_id = ${tenantId}::uuid AND dispatched_at IS NULL AND failed_at IS NULL
           AND next_attempt_at <= now()
         ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    },
    markDispatched(tenantId: string, id: string) {
      return tx.domainEvent.update({ where: { tenantId_id: { tenantId, id } }, data: { dispatchedAt: new Date() } });
    },
    /** Records a failed attempt: retried at `retryAt`, or dead-lettered when that is null. */
    markFailed(tenantId: string, id: string, failure: DeliveryFailure) {
      return tx.domainEvent.update({ where: { tenantId_id: { tenantId, id } }, data: failureUpdate(failure) });
    },
  };
}

export type ActorType = 'user' | 'platform_admin' | 'system';

export interface AuditRecord {
  id: string;
  action: string;
  actorId?: string | null;
  /** Who acted: a tenant user, a platform admin, or the server itself (no actor). */
  actorType?: ActorType;
  targetType?: string | null;
  targetId?: string | null;
  requestId?: string | null;
  /** A platform admin's stated reason (X-Audit-Reason). */
  reason?: string | null;
  data?: JsonValue;
}

/** What the audit log can be filtered by; `after` is the last id of the previous page. */
export interface AuditQuery {
  limit: number;
  after?: string;
  action?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
}

async function recordAudit(sql: SqlRows, tenantId: string, entry: AuditRecord): Promise<void> {
  const actorId = entry.actorId ?? null;
  const actorType = entry.actorType ?? (actorId ? 'user' : 'system');
  // One statement on every write request's path, sent on the connection (a model query costs
  // several times its CPU); idempotent on id, so at-least-once delivery writes one entry.
  await sql(Prisma.sql`INSERT INTO audit_log
      (tenant_id, id, action, actor_id, actor_type, target_type, target_id, request_id, reason, data)
    VALUES (${tenantId}::uuid, ${entry.id}::uuid, ${entry.action}, ${actorId}::uuid, ${actorType},
      ${entry.targetType ?? null}, ${entry.targetId ?? null}::uuid, ${entry.requestId ?? null},
      ${entry.reason ?? null}, ${JSON.stringify(entry.data ?? {})}::jsonb)
    ON CONFLICT DO NOTHING`);
}

/** The tenant's own audit log (append-only for every role the server logs in as). */
export function auditRepository({ tx, sql, tenantId }: TenantScope) {
  return {
    record: (entry: AuditRecord) => recordAudit(sql, tenantId, entry),
    /** In id order (UUIDv7: the order entries were written); `from` inclusive, `to` exclusive. */
    list(query: AuditQuery): Promise<AuditRow[]> {
      const where: Prisma.AuditEntryWhereInput = { tenantId };
      if (query.after) where.id = { gt: query.after };
      if (query.action) where.action = query.action;
      if (query.actorId) where.actorId = query.actorId;
      if (query.from || query.to) {
        where.createdAt = { ...(query.from && { gte: query.from }), ...(query.to && { lt: query.to }) };
      }
      return tx.auditEntry.findMany({ where, orderBy: { id: 'asc' }, take: query.limit });
    },
  };
}

/** Audit entries the platform plane writes into a tenant's log (outbox subscribers, platform actions). */
export function platformAuditRepository({ sql }: PlatformScope) {
  return { record: (tenantId: string, entry: AuditRecord) => recordAudit(sql, tenantId, entry) };
}
