import type { TransactionRunner, Tx } from '../db/context.js';
import { eventRepository } from '../db/repositories/events.js';

export interface OutboxEvent {
  id: string;
  tenantId: string;
  type: string;
  payload: unknown;
}

/** A subscriber runs inside the dispatch transaction; it must be idempotent (at-least-once). */
export type Subscriber = (tx: Tx, event: OutboxEvent) => Promise<void>;

export interface Dispatcher {
  /** Delivers every pending event now; resolves with how many were delivered. */
  drain(): Promise<number>;
  /** Asks for a delivery soon (after a commit that wrote events). */
  kick(): void;
  start(): void;
  stop(): Promise<void>;
}

const BATCH = 50;

export function createDispatcher(deps: {
  db: TransactionRunner;
  subscribers: Record<string, Subscriber[]>;
  pollMs: number;
  onError?: (err: unknown, event?: OutboxEvent) => void;
}): Dispatcher {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;

  async function deliverBatch(): Promise<number> {
    return deps.db.platform(null, async (tx) => {
      const events = eventRepository(tx);
      const pending = await events.claimPending(BATCH);
      for (const row of pending) {
        const event: OutboxEvent = { id: row.id, tenantId: row.tenant_id, type: row.type, payload: row.payload };
        try {
          // A savepoint per event: one failing subscriber does not undo the others' work.
          await tx.$executeRaw`SAVEPOINT outbox_event`;
          for (const sub of deps.subscribers[event.type] ?? []) await sub(tx, event);
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

  async function drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await deliverBatch();
      total += n;
      if (n < BATCH) return total;
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
