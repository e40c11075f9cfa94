import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createApp } from './app.js';
import { loadEnv } from './config/env.js';
import { createDbClients } from './db/client.js';
import { ensurePlatformAdmin } from './db/platform-admins.js';
import { assertIsolation, migrate, resolveDatabase } from './db/setup.js';
import { createMetrics } from './http/metrics.js';
import type { Probe } from './http/routes/ops/index.js';
import { hashPassword, verifyPassword } from './services/passwords.js';
import { wireServices } from './wiring.js';

// Entry point: config → database (embedded if none is configured) → migrate → self-check (both
// logins) → platform admin (as the owner) → listen.
async function main() {
  const started = performance.now();
  const env = loadEnv();
  const logger = pino({ level: env.LOG_LEVEL, base: { service: 'tenantry' } });
  const database = await resolveDatabase({
    databaseUrl: env.DATABASE_URL,
    adminUrl: env.DATABASE_ADMIN_URL,
    platformUrl: env.DATABASE_PLATFORM_URL,
    dataDir: env.DATA_DIR,
    embeddedPort: env.EMBEDDED_PG_PORT,
    log: (msg) => logger.info(msg),
  });
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

  const redis = env.REDIS_URL
    ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: false })
    : undefined;
  redis?.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis error'));
  const { services, dispatcher } = await wireServices(env, clients, logger, { redis });
  if (generated) {
    // Printed once, on the start that created the admin; not logged as structured data.
    process.stdout.write(
      `\n  Platform admin created: ${env.PLATFORM_ADMIN_EMAIL}\n  Password (shown once): ${generated}\n\n`,
    );
  }
  dispatcher.start();

  const probes: Probe[] = [
    {
      name: 'database',
      check: async () =>
        void (await Promise.all([clients.pool.query('SELECT 1'), clients.platform.pool.query('SELECT 1')])),
    },
  ];
  if (redis) probes.push({ name: 'redis', check: async () => void (await redis.ping()) });
  const app = createApp({
    services,
    logger,
    probes,
    metrics: createMetrics({ pool: clients.pool, platformPool: clients.platform.pool, defaultMetrics: true }),
  });
  const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
    logger.info({ port: info.port, startupMs: Math.round(performance.now() - started) }, 'Tenantry listening');
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    await dispatcher.stop();
    await clients.close();
    redis?.disconnect();
    await database.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
