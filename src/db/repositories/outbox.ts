import type { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../context.js';
import { type DeliveryFailure, type DeliveryStatus, deliveryState, failureUpdate } from './events.js';

export type PlatformEventRow = Prisma.PlatformEventGetPayload<object>;

/**
 * The outbox's platform side (events that outlive their tenant, in platform_events) and what
 * spans both outbox tables: dead letters, retries, lag. Platform plane only.
 */
export function outboxRepository(tx: Tx) {
  return {
    /** Claims due platform events; SKIP LOCKED lets several instances dispatch side by side. */
    claimPlatform(limit: number) {
      return tx.$queryRaw<{ subject_id: string; id: string; type: string; payload: unknown; attempts: number }[]>`
        SELECT subject_id, id, type, payload, attempts FROM platform_events
         WHERE dispatched_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
         ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    },
    markPlatformDispatched(id: string) {
      return tx.platformEvent.update({ where: { id }, data: { dispatchedAt: new Date() } });
    },
    markPlatformFailed(id: string, failure: DeliveryFailure) {
      return tx.platformEvent.update({ where: { id }, data: failureUpdate(failure) });
    },
    listPlatform(query: { limit: number; after?: string; type?: string; tenantId?: string; status?: DeliveryStatus }) {
      const where: Prisma.PlatformEventWhereInput = { ...deliveryState(query.status) };
      if (query.after) where.id = { gt: query.after };
      if (query.type) where.type = query.type;
      if (query.tenantId) where.subjectId = query.tenantId;
      return tx.platformEvent.findMany({ where, orderBy: { id: 'asc' }, take: query.limit });
    },
    /**
     * A dead letter back in the queue: attempts start over, due now. False when no failed
     * event has this id (unknown, pending or already delivered).
     */
    async retry(id: string): Promise<boolean> {
      const reset = { failedAt: null, attempts: 0, nextAttemptAt: new Date(), lastError: null };
      const tenant = await tx.domainEvent.updateMany({ where: { id, failedAt: { not: null } }, data: reset });
      if (tenant.count > 0) return true;
      const platform = await tx.platformEvent.updateMany({ where: { id, failedAt: { not: null } }, data: reset });
      return platform.count > 0;
    },
    async exists(id: string): Promise<boolean> {
      const [a, b] = await Promise.all([
        tx.domainEvent.count({ where: { id } }),
        tx.platformEvent.count({ where: { id } }),
      ]);
      return a + b > 0;
    },
    /** Pending and dead-lettered counts and the age of the oldest pending event, over both tables. */
    async stats(): Promise<{ pending: number; failed: number; oldestPendingSeconds: number }> {
      const rows = await tx.$queryRaw<{ pending: number; failed: number; oldest: number | null }[]>`
        SELECT sum(pending)::int AS pending, sum(failed)::int AS failed,
               extract(epoch FROM now() - min(oldest))::float8 AS oldest
          FROM (SELECT count(*) FILTER (WHERE dispatched_at IS NULL AND failed_at IS NULL) AS pending,
                       count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed,
                       min(occurred_at) FILTER (WHERE dispatched_at IS NULL AND failed_at IS NULL) AS oldest
                  FROM domain_events
                UNION ALL
                SELECT count(*) FILTER (WHERE dispatched_at IS NULL AND failed_at IS NULL),
                       count(*) FILTER (WHERE failed_at IS NOT NULL),
                       min(occurred_at) FILTER (WHERE dispatched_at IS NULL AND failed_at IS NULL)
                  FROM platform_events) AS s`;
      const r = rows[0];
      return { pending: r?.pending ?? 0, failed: r?.failed ?? 0, oldestPendingSeconds: Math.max(0, r?.oldest ?? 0) };
    },
  };
}
