import type { Redis } from 'ioredis';

const CHANNEL = 'tenantry:tenant-changed';

interface Entry {
  value: unknown;
  until: number;
}

/**
 * Per-instance cache of what the request path needs about a tenant before its transaction
 * opens. Keys are `tenant:{id}:{name}`, so everything known about a tenant is forgotten at
 * once when it changes. With Redis, an invalidation is published (the tenant id only) and
 * every instance drops its entries as the message arrives; after a lost subscription every
 * entry is dropped, since messages sent meanwhile are gone. The TTL bounds staleness when
 * Redis is down or absent.
 */
export function createTenantCache(opts: {
  ttlMs?: number;
  maxEntries?: number;
  /** Publishes invalidations. */
  redis?: Redis;
  /** A connection of its own for the subscription (a subscribed connection sends nothing else). */
  subscriber?: Redis;
  onError?: (err: unknown) => void;
}) {
  const ttlMs = opts.ttlMs ?? 60_000;
  const maxEntries = opts.maxEntries ?? 100_000;
  const entries = new Map<string, Entry>();
  const keysOf = new Map<string, Set<string>>();
  // Bumped by every invalidation: a load that started before one must not store its result.
  const generation = new Map<string, number>();
  let epoch = 0;

  const keyOf = (tenantId: string, name: string) => `tenant:${tenantId}:${name}`;

  function dropLocal(tenantId: string): void {
    generation.set(tenantId, (generation.get(tenantId) ?? 0) + 1);
    for (const key of keysOf.get(tenantId) ?? []) entries.delete(key);
    keysOf.delete(tenantId);
  }

  function clear(): void {
    epoch++;
    entries.clear();
    keysOf.clear();
    generation.clear();
  }

  if (opts.subscriber) {
    const sub = opts.subscriber;
    let subscribed = false;
    sub.on('message', (channel: string, tenantId: string) => {
      if (channel === CHANNEL) dropLocal(tenantId);
    });
    sub.on('ready', () => {
      // ioredis subscribes again on reconnect; whatever was published in between is lost.
      if (subscribed) clear();
    });
    sub.on('close', () => {
      if (subscribed) clear();
    });
    sub.subscribe(CHANNEL).then(
      () => {
        subscribed = true;
      },
      (err) => opts.onError?.(err),
    );
  }

  return {
    keyOf,

    /** The cached value, or the loader's (stored unless the tenant changed meanwhile). */
    async load<T>(tenantId: string, name: string, loader: () => Promise<T>): Promise<T> {
      const key = keyOf(tenantId, name);
      const hit = entries.get(key);
      if (hit && hit.until > Date.now()) return hit.value as T;
      const before = { gen: generation.get(tenantId) ?? 0, epoch };
      const value = await loader();
      if ((generation.get(tenantId) ?? 0) !== before.gen || epoch !== before.epoch) return value;
      if (entries.size >= maxEntries) clear();
      entries.set(key, { value, until: Date.now() + ttlMs });
      const keys = keysOf.get(tenantId) ?? new Set<string>();
      keys.add(key);
      keysOf.set(tenantId, keys);
      return value;
    },

    /** Forgets everything about the tenant here, and on every other instance through Redis. */
    invalidate(tenantId: string): void {
      dropLocal(tenantId);
      opts.redis?.publish(CHANNEL, tenantId).catch((err) => opts.onError?.(err));
    },

    clear,
  };
}

export type TenantCache = ReturnType<typeof createTenantCache>;
