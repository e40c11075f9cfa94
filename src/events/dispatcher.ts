import type { PlatformRunner, PlatformScope } from '../db/context.js';
import { eventRepository } from '../db/repositories/events.js';
import { type DomainEventPayloads, type EventType, isEventType } from '../domain/events.js';
import { idTimeMs } from '../domain/ids.js';

/** An event as delivered from the outbox: its payload typed by its type. */
export interface OutboxEvent<K extends EventType = EventType> {
  id: string;
  tenantId: string;
  type: K;
  payload: DomainEventPayloads[K];
}

/** A subscriber runs inside the dispatch transaction; it must be idempotent (at-least-once). */
export type Subscriber<K extends EventType> = (scope: PlatformScope, event: OutboxEvent<K>) => Promise<void>;

/** Subscribers by event type: each list is typed by its key, so no subscriber casts its payload. */
export type Subscribers = { [K in EventType]?: Subscriber<K>[] };

export interface Dispatcher {
  /** Delivers every pending event now; resolves with how many were delivered. */
  drain(): Promise<number>;
  /** Asks for a delivery soon (after a commit that wrote events). */
  kick(): void;
  start(): void;
  stop(): Promise<void>;
  /** How long the oldest event delivered in the last round had waited, in seconds (0: none waited). */
  lagSeconds(): number;
}

const BATCH = 50;
/** Tenants looked at per round; a round claims up to BATCH events of each, one transaction per tenant. */
const TENANTS_PER_ROUND = 50;

export function createDispatcher(deps: {
  db: PlatformRunner;
  subscribers: Subscribers;
  pollMs: number;
  onError?: (err: unknown, event?: OutboxEvent) => void;
}): Dispatcher {
  /** Runs the event's subscribers; an event type this version does not know has none. */
  async function deliver<K extends EventType>(scope: PlatformScope, event: OutboxEvent<K>): Promise<void> {
    if (!isEventType(event.type)) return;
    const subscribers = (deps.subscribers[event.type] ?? []) as Subscriber<K>[];
    for (const subscriber of subscribers) await subscriber(scope, event);
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;
  let oldestInRound = Number.POSITIVE_INFINITY;
  let lagMs = 0;

  /** Delivers up to BATCH of one tenant's events in one platform transaction. */
  async function deliverBatch(tenantId: string): Promise<number> {
    return deps.db.platform(null, async (scope) => {
      const { tx } = scope;
      const events = eventRepository(tx);
      const pending = await events.claimPending(tenantId, BATCH);
      for (const row of pending) oldestInRound = Math.min(oldestInRound, idTimeMs(row.id));
      for (const row of pending) {
        const event = { id: row.id, tenantId: row.tenant_id, type: row.type, payload: row.payload } as OutboxEvent;
        try {
          // A savepoint per event: one failing subscriber does not undo the others' work.
          await tx.$executeRaw`SAVEPOINT outbox_event`;
          await deliver(scope, event);
          await tx.$executeRaw`RELEASE SAVEPOINT outbox_event`;
          await events.markDispatched(event.tenantId, event.id);
        } catch (err) {
          await tx.$executeRaw`ROLLBACK TO SAVEPOINT outbox_event`;
          await events.markFailed(event.tenantId, event.id);
          deps.onError?.(err, event);
        }
      }
      return pending.length;
    });
  }

  /**
   * Claims per tenant: find the tenants with pending events (no lock), then claim and deliver
   * each tenant's events with a tenant_id filter, so every row lock stays on one shard on Citus.
   * Rounds repeat while a tenant filled its batch or more tenants may be waiting.
   */
  async function drainOnce(): Promise<number> {
    let total = 0;
    oldestInRound = Number.POSITIVE_INFINITY;
    for (;;) {
      const tenants = await deps.db.platform(null, ({ tx }) => eventRepository(tx).pendingTenants(TENANTS_PER_ROUND));
      let full = tenants.length === TENANTS_PER_ROUND;
      let claimed = 0;
      for (const tenantId of tenants) {
        const n = await deliverBatch(tenantId);
        claimed += n;
        if (n === BATCH) full = true;
      }
      total += claimed;
      lagMs = Number.isFinite(oldestInRound) ? Math.max(0, Date.now() - oldestInRound) : 0;
      // Nothing claimed: what is pending is locked by another instance, which delivers it.
      if (!full || claimed === 0) return total;
    }
  }

  function drain(): Promise<number> {
    // Serialise: one delivery loop at a time per process.
    const next = (running ?? Promise.resolve(0)).catch(() => 0).then(drainOnce);
    running = next;
    return next;
  }

  function schedule(delay: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      drain()
        .catch((err) => deps.onError?.(err))
        .finally(() => schedule(deps.pollMs));
    }, delay);
    timer.unref();
  }

  return {
    drain,
    lagSeconds: () => lagMs / 1000,
    kick: () => schedule(0),
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
