import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export interface RateLimitStats {
  /** Requests refused with 429. */
  rejected: number;
  /** Decisions taken by the per-instance fallback because Redis failed. */
  fallbackDecisions: number;
  /** Outages seen (each one logged once). */
  outages: number;
  /** True while decisions fall back to memory. */
  degraded: boolean;
}

const WINDOW_SECONDS = 60;
// The key names the tenant only: instances that briefly disagree on a changed limit still
// count against one counter.
const KEY_PREFIX = 'tenantry:rl';

/**
 * Per-tenant request budget per minute, by plan (`requestsPerMinute`, overridable per tenant).
 * Counters live in Redis when configured, so several instances share them; in memory
 * otherwise. When Redis fails, the decision falls back to this instance's memory (fail open:
 * each instance then grants the whole budget) and returns to Redis on the first call that
 * succeeds again. Decided before any database connection is taken.
 */
export function createRateLimitService(
  opts: {
    redis?: Redis;
    onOutage?: (err: unknown) => void;
    onRecovery?: (outageMs: number) => void;
    /** Window length (default one minute) and key prefix, for budgets other than tenants' requests. */
    windowSeconds?: number;
    keyPrefix?: string;
  } = {},
) {
  const windowSeconds = opts.windowSeconds ?? WINDOW_SECONDS;
  const memory = createMemoryWindows(windowSeconds);
  // rate-limiter-flexible compares the shared counter with `points` on this side only, so one
  // limiter per limit may share the key prefix (and so the counter).
  const shared = new Map<number, RateLimiterRedis>();
  const stats: RateLimitStats = { rejected: 0, fallbackDecisions: 0, outages: 0, degraded: false };
  let outageSince = 0;

  const sharedLimiter = (redis: Redis, points: number) => {
    let limiter = shared.get(points);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        points,
        duration: windowSeconds,
        keyPrefix: opts.keyPrefix ?? KEY_PREFIX,
        storeClient: redis,
        rejectIfRedisNotReady: true,
      });
      shared.set(points, limiter);
    }
    return limiter;
  };

  const decideShared = async (redis: Redis, tenantId: string, limit: number): Promise<RateLimitDecision> => {
    try {
      const res = await sharedLimiter(redis, limit).consume(tenantId);
      return { allowed: true, limit, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000) };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      return { allowed: false, limit, remaining: 0, resetSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
    }
  };

  async function consumeShared(redis: Redis, tenantId: string, limit: number): Promise<RateLimitDecision> {
    const sent = Date.now();
    try {
      const decision = await decideShared(redis, tenantId, limit);
      // An answer to a command sent before the outage began says nothing about recovery.
      if (stats.degraded && sent > outageSince) {
        stats.degraded = false;
        opts.onRecovery?.(Date.now() - outageSince);
      }
      return decision;
    } catch (err) {
      if (!stats.degraded) {
        stats.degraded = true;
        stats.outages++;
        outageSince = Date.now();
        opts.onOutage?.(err);
      }
      stats.fallbackDecisions++;
      return memory.consume(tenantId, limit);
    }
  }

  return {
    /** Counts one request of the tenant against its per-minute limit. */
    async consume(tenantId: string, limit: number): Promise<RateLimitDecision> {
      const decision = opts.redis ? await consumeShared(opts.redis, tenantId, limit) : memory.consume(tenantId, limit);
      if (!decision.allowed) stats.rejected++;
      return decision;
    },

    stats(): Readonly<RateLimitStats> {
      return { ...stats };
    },
  };
}

export type RateLimitService = ReturnType<typeof createRateLimitService>;

/** Fixed windows (one minute for tenants) per key in this process's memory; expired windows are swept. */
function createMemoryWindows(windowSeconds: number, maxEntries = 100_000) {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    consume(tenantId: string, limit: number): RateLimitDecision {
      const now = Date.now();
      let w = windows.get(tenantId);
      if (!w || w.resetAt <= now) {
        if (windows.size >= maxEntries) {
          for (const [key, entry] of windows) if (entry.resetAt <= now) windows.delete(key);
          if (windows.size >= maxEntries) windows.clear();
        }
        w = { count: 0, resetAt: now + windowSeconds * 1000 };
        windows.set(tenantId, w);
      }
      w.count++;
      const resetSeconds = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
      if (w.count > limit) return { allowed: false, limit, remaining: 0, resetSeconds };
      return { allowed: true, limit, remaining: limit - w.count, resetSeconds };
    },
  };
}
