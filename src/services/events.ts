import type { PlatformRunner } from '../db/context.js';
import { type DeliveryStatus, type EventRow, eventRepository } from '../db/repositories/events.js';
import { outboxRepository, type PlatformEventRow } from '../db/repositories/outbox.js';
import { Errors } from '../domain/errors.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';

export interface EventDto {
  id: string;
  type: string;
  tenantId: string;
  payload: unknown;
  occurredAt: string;
  dispatchedAt: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  failedAt: string | null;
  lastError: string | null;
}

type Row = (EventRow | PlatformEventRow) & { tenantId?: string; subjectId?: string };

const toDto = (e: Row): EventDto => ({
  id: e.id,
  type: e.type,
  tenantId: (e.tenantId ?? e.subjectId) as string,
  payload: e.payload,
  occurredAt: e.occurredAt.toISOString(),
  dispatchedAt: e.dispatchedAt?.toISOString() ?? null,
  status: e.dispatchedAt ? 'dispatched' : e.failedAt ? 'failed' : 'pending',
  attempts: e.attempts,
  nextAttemptAt: e.dispatchedAt || e.failedAt ? null : e.nextAttemptAt.toISOString(),
  failedAt: e.failedAt?.toISOString() ?? null,
  lastError: e.lastError,
});

export type EventQuery = PageQuery & { type?: string; tenantId?: string; status?: DeliveryStatus };

/** The outbox as platform admins see it: both outbox tables as one list, dead letters and their retry. */
export function createEventService(deps: { db: PlatformRunner; onRetry?: () => void }) {
  return {
    async list(adminId: string, query: EventQuery): Promise<Page<EventDto>> {
      const q = { ...query, limit: query.limit + 1, after: decodeCursor(query.cursor) };
      const rows = await deps.db.platform(adminId, async ({ tx }) => {
        const [tenantEvents, platformEvents] = await Promise.all([
          eventRepository(tx).list(q),
          outboxRepository(tx).listPlatform(q),
        ]);
        // Both ordered by UUIDv7 id; merged, the page is the first limit + 1 of the two.
        return [...tenantEvents, ...platformEvents].sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, q.limit);
      });
      return toPage(rows as Row[], query.limit, toDto);
    },

    /** Puts a dead-lettered event back in the queue (attempts start over); 404 unknown, 409 not failed. */
    async retry(adminId: string, id: string): Promise<void> {
      await deps.db.platform(adminId, async ({ tx }) => {
        const outbox = outboxRepository(tx);
        if (await outbox.retry(id)) return;
        if (!(await outbox.exists(id))) throw Errors.notFound('event');
        throw Errors.conflict('only a failed (dead-lettered) event can be retried');
      });
      deps.onRetry?.();
    },

    stats: () => deps.db.platform(null, ({ tx }) => outboxRepository(tx).stats()),
  };
}

export type EventService = ReturnType<typeof createEventService>;
