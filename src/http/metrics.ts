import { createMiddleware } from 'hono/factory';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RateLimitStats } from '../services/rate-limit.js';
import { createTopTenants } from './top-tenants.js';
import type { AppEnv } from './types.js';

export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Prometheus metrics of one app instance (its own registry, so tests stay independent). */
/** The outbox as metrics read it: database state at scrape time, and this instance's delivery outcomes. */
export interface OutboxMetricsSource {
  stats(): Promise<{ pending: number; failed: number; oldestPendingSeconds: number }>;
  counts(): Readonly<Record<string, number>>;
}

export function createMetrics(
  opts: {
    pool?: PoolStats;
    platformPool?: PoolStats;
    defaultMetrics?: boolean;
    rateLimit?: { stats(): Readonly<RateLimitStats> };
    outbox?: OutboxMetricsSource;
    /** Age of the oldest event waiting in the outbox, in seconds. */
    outboxLag?: () => number;
    /** Tenants with a label of their own in tenantry_tenant_request_duration_seconds; the rest are `other`. */
    topTenants?: number;
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
  const buckets = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const duration = new Histogram({
    name: 'tenantry_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets,
    registers: [registry],
  });
  const tenantDuration = new Histogram({
    name: 'tenantry_tenant_request_duration_seconds',
    help: 'Tenant request duration by tenant (the top tenants by traffic; the rest as "other")',
    labelNames: ['tenant'] as const,
    buckets,
    registers: [registry],
  });
  const transactions = new Histogram({
    name: 'tenantry_tenant_transaction_duration_seconds',
    help: 'Duration of request transactions, from the tenant context to commit or rollback',
    buckets,
    registers: [registry],
  });
  const loginFailures = new Counter({
    name: 'tenantry_login_failures_total',
    help: 'Refused sign-ins by plane (tenant, platform)',
    labelNames: ['plane'] as const,
    registers: [registry],
  });
  const outboxLag = opts.outboxLag;
  if (outboxLag) {
    new Gauge({
      name: 'tenantry_outbox_lag_seconds',
      help: 'Age of the oldest undelivered domain event at the last delivery round (0 when none waited)',
      registers: [registry],
      collect() {
        this.set(outboxLag());
      },
    });
  }
  const topTenants = createTopTenants(opts.topTenants ?? 20);
  const LOGIN_ROUTES: Record<string, string> = {
    '/api/v1/auth/login': 'tenant',
    '/api/v1/auth/platform/login': 'platform',
  };
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

  const outbox = opts.outbox;
  if (outbox) {
    new Gauge({
      name: 'tenantry_outbox_events',
      help: 'Outbox events by delivery state: pending (not yet delivered) and failed (dead letters)',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const s = await outbox.stats();
        this.set({ state: 'pending' }, s.pending);
        this.set({ state: 'failed' }, s.failed);
      },
    });
    new Gauge({
      name: 'tenantry_outbox_deliveries',
      help: "This instance's delivery attempts since start by outcome (delivered, retried, dead_lettered)",
      labelNames: ['outcome'] as const,
      registers: [registry],
      collect() {
        for (const [outcome, n] of Object.entries(outbox.counts())) this.set({ outcome }, n);
      },
    });
  }

  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    // The route template, never the raw path: ids would explode the label set.
    const route = c.req.routePath || 'unmatched';
    const status = String(c.res.status);
    duration.observe({ method: c.req.method, route, status }, seconds);
    requests.inc({ method: c.req.method, route, status });
    const principal = c.get('principal');
    if (principal?.kind === 'tenant') tenantDuration.observe({ tenant: topTenants.label(principal.tenantId) }, seconds);
    const txMs = c.get('transactionMs');
    if (txMs !== undefined) transactions.observe(txMs / 1000);
    const plane = LOGIN_ROUTES[route];
    if (plane && c.req.method === 'POST' && c.res.status === 401) loginFailures.inc({ plane });
  });

  return { registry, middleware };
}

export type Metrics = ReturnType<typeof createMetrics>;
