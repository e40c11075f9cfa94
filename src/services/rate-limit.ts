import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Tx } from '../db/context.js';
import { effectiveLimits } from '../domain/tenant/tenant.js';

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
 * otherwise. A tenant's limit is read from its settings at most once a minute per instance.
 */
export function createRateLimitService(opts: { redis?: Redis; limitCacheMs?: number } = {}) {
  const limiters = new Map<number, RateLimiterAbstract>();
  const limits = new Map<string, { rpm: number; until: number }>();
  const cacheMs = opts.limitCacheMs ?? 60_000;

  const limiterFor = (points: number): RateLimiterAbstract => {
    let limiter = limiters.get(points);
    if (!limiter) {
      const base = { points, duration: WINDOW_SECONDS, keyPrefix: `tenantry:rl:${points}` };
      limiter = opts.redis ? new RateLimiterRedis({ ...base, storeClient: opts.redis }) : new RateLimiterMemory(base);
      limiters.set(points, limiter);
    }
    return limiter;
  };

  async function limitOf(tx: Tx, tenantId: string): Promise<number> {
    const cached = limits.get(tenantId);
    if (cached && cached.until > Date.now()) return cached.rpm;
    const settings = await tx.tenantSettings.findUnique({ where: { tenantId }, select: { plan: true, limits: true } });
    const rpm = effectiveLimits(settings?.plan ?? 'free', settings?.limits).requestsPerMinute;
    if (limits.size > 100_000) limits.clear();
    limits.set(tenantId, { rpm, until: Date.now() + cacheMs });
    return rpm;
  }

  return {
    /** Counts one request of the tenant (inside its transaction, which is how its plan is read). */
    async consume(tx: Tx, tenantId: string): Promise<RateLimitDecision> {
      const limit = await limitOf(tx, tenantId);
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
