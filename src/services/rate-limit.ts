import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

const WINDOW_SECONDS = 60;

/**
 * Per-tenant request budget per minute, by plan (`requestsPerMinute`, overridable per tenant).
 * Counters live in Redis when configured, so several instances share them; in memory
 * otherwise. Decided before any database connection is taken.
 */
export function createRateLimitService(opts: { redis?: Redis } = {}) {
  const limiters = new Map<number, RateLimiterAbstract>();

  const limiterFor = (points: number): RateLimiterAbstract => {
    let limiter = limiters.get(points);
    if (!limiter) {
      const base = { points, duration: WINDOW_SECONDS, keyPrefix: `tenantry:rl:${points}` };
      limiter = opts.redis ? new RateLimiterRedis({ ...base, storeClient: opts.redis }) : new RateLimiterMemory(base);
      limiters.set(points, limiter);
    }
    return limiter;
  };

  return {
    /** Counts one request of the tenant against its per-minute limit. */
    async consume(tenantId: string, limit: number): Promise<RateLimitDecision> {
      try {
        const res = await limiterFor(limit).consume(tenantId);
        return {
          allowed: true,
          limit,
          remaining: res.remainingPoints,
          resetSeconds: Math.ceil(res.msBeforeNext / 1000),
        };
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        return { allowed: false, limit, remaining: 0, resetSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
      }
    },
  };
}

export type RateLimitService = ReturnType<typeof createRateLimitService>;
