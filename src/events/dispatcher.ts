import type { PlatformRunner, PlatformScope } from '../db/context.js';
import { type DeliveryFailure, eventRepository } from '../db/repositories/events.js';
import { outboxRepository } from '../db/repositories/outbox.js';
import { type DomainEventPayloads, type EventType, isEventType } from '../domain/events.js';
import { idTimeMs } from '../domain/ids.js';
import { afterFailure, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

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
  /** Delivery outcomes since start, for metrics. */
  counts(): Readonly<Record<DeliveryOutcome, number>>;
  /** How long the oldest event delivered in the last round had waited, in seconds (0: none waited). */
  lagSeconds(): number;
}

export type DeliveryOutcome = 'delivered' | 'retried' | 'dead_lettered';

const BATCH = 50;
/** Tenants looked at per round; a round claims up to BATCH events of each, one transaction per tenant. */
const TENANTS_PER_ROUND = 50;

export function createDispatcher(deps: {
  db: PlatformRunner;
  subscribers: Subscribers;
  pollMs: number;
  retry?: RetryPolicy;
  onError?: (err: unknown, event?: OutboxEvent) => void;
}): Dispatcher {
  const policy = deps.retry ?? DEFAULT_RETRY_POLICY;
  const counts: Record<DeliveryOutcome, number> = { delivered: 0, retried: 0, dead_lettered: 0 };

  /** The failed attempt's record: retried later with backoff and jitter, or dead-lettered. */
  function failure(attemptsBefore: number, err: unknown): DeliveryFailure {
    const attempts = attemptsBefore + 1;
    const outcome = afterFailure(attempts, policy);
    counts[outcome.kind === 'retry' ? 'retried' : 'dead_lettered'] += 1;
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { attempts, error, retryAt: outcome.kind === 'retry' ? new Date(Date.now() + outcome.delayMs) : null };
  }

  /**
   * Runs one event's subscribers inside a savepoint (a failing subscriber undoes only its own
   * event's work), then records the outcome.
   */
  async function attempt(
    scope: PlatformScope,
    event: OutboxEvent,
    attempts: number,
    mark: { dispatched(): Promise<unknown>; failed(f: DeliveryFailure): Promise<unknown> },
  ): Promise<void> {
    const { tx } = scope;
    try {
      await tx.$executeRaw`SAVEPOINT outbox_event`;
      await deliver(scope, event);
      await tx.$executeRaw`RELEASE SAVEPOINT outbox_event`;
      await mark.dispatched();
      counts.delivered += 1;
    } catch (err) {
      await tx.$executeRaw`ROLLBACK TO SAVEPOINT outbox_event`;
      await mark.failed(failure(attempts, err));
      deps.onError?.(err, event);
    }
  }

  /** Events that outlive their tenant (platform_events), one batch in one transaction. */
  function deliverPlatformBatch(): Promise<number> {
    return deps.db.platform(null, async (scope) => {
      const outbox = outboxRepository(scope.tx);
      const pending = await outbox.claimPlatform(BATCH);
      for (const row of pending) {
        const event = { id: row.id, tenantId: row.subject_id, type: row.type, payload: row.payload } as OutboxEvent;
        await attempt(scope, event, row.attempts, {
          dispatched: () => outbox.markPlatformDispatched(row.id),
          failed: (f) => outbox.markPlatformFailed(row.id, f),
        });
      }
      return pending.length;
    });
  }

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
        await attempt(scope, event, row.attempts, {
          dispatched: () => events.markDispatched(event.tenantId, event.id),
          failed: (f) => events.markFailed(event.tenantId, event.id, f),
        });
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
    for (let n = BATCH; n === BATCH; ) {
      n = await deliverPlatformBatch();
      total += n;
    }
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
    counts: () => ({ ...counts }),
  };
}
