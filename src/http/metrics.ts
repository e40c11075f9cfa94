import { createMiddleware } from 'hono/factory';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RateLimitStats } from '../services/rate-limit.js';
import type { AppEnv } from './types.js';

export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Prometheus metrics of one app instance (its own registry, so tests stay independent). */
export function createMetrics(
  opts: {
    pool?: PoolStats;
    platformPool?: PoolStats;
    defaultMetrics?: boolean;
    rateLimit?: { stats(): Readonly<RateLimitStats> };
  } = {},
) {
  const registry = new Registry();
  const rateLimit = opts.rateLimit;
  if (rateLimit) {
    new Counter({
      name: 'tenantry_rate_limit_rejections_total',
      help: 'Tenant requests refused with 429',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(rateLimit.stats().rejected);
      },
    });
    new Counter({
      name: 'tenantry_rate_limit_fallback_total',
      help: 'Rate-limit decisions taken in this instance’s memory because Redis failed',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(rateLimit.stats().fallbackDecisions);
      },
    });
    new Counter({
      name: 'tenantry_redis_outages_total',
      help: 'Redis outages seen by the rate limiter',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(rateLimit.stats().outages);
      },
    });
    new Gauge({
      name: 'tenantry_rate_limit_degraded',
      help: '1 while rate limits fall back to this instance (Redis unavailable)',
      registers: [registry],
      collect() {
        this.set(rateLimit.stats().degraded ? 1 : 0);
      },
    });
  }
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'tenantry_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tenantry_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pools = Object.entries({ runtime: opts.pool, platform: opts.platformPool }).filter(
    (e): e is [string, PoolStats] => e[1] !== undefined,
  );
  if (pools.length) {
    new Gauge({
      name: 'tenantry_db_pool_connections',
      help: 'Database pool connections by login (runtime, platform) and state',
      labelNames: ['pool', 'state'] as const,
      registers: [registry],
      collect() {
        for (const [name, pool] of pools) {
          this.set({ pool: name, state: 'total' }, pool.totalCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
          this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
        }
      },
    });
  }

  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const end = duration.startTimer();
    await next();
    // The route template, never the raw path: ids would explode the label set.
    const route = c.req.routePath || 'unmatched';
    end({ method: c.req.method, route });
    requests.inc({ method: c.req.method, route, status: String(c.res.status) });
  });

  return { registry, middleware };
}

export type Metrics = ReturnType<typeof createMetrics>;
