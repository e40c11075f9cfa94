import { pino } from 'pino';
import { loadEnv } from '../config/env.js';
import { createDbClients } from '../db/client.js';
import { ensurePlatformAdmin, platformAdminId } from '../db/platform-admins.js';
import { assertIsolation, migrate, resolveDatabaseFromEnv } from '../db/setup.js';
import { hashPassword, verifyPassword } from '../services/passwords.js';
import { wireServices } from '../wiring.js';
import type { CliIo } from './context.js';
import { parseOrAnswer, runCommand } from './run.js';

// `npm run tenant -- <command>`: the operator's CLI. It connects exactly like the server
// (configuration → database, embedded if none is configured, reusing a running one →
// migrations → self-check of both logins → platform admin as the owner) and runs the command
// through the server's own services, acting as a platform admin.
async function main(): Promise<number> {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
  const parsed = parseOrAnswer(io, process.argv.slice(2));
  if (typeof parsed === 'number') return parsed;

  const env = loadEnv();
  const logger = pino({ level: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL }, pino.destination(2));
  const database = await resolveDatabaseFromEnv(env, (msg) => logger.info(msg));
  const clients = createDbClients({
    url: database.runtimeUrl,
    platformUrl: database.platformUrl,
    poolSize: 2,
    platformPoolSize: 2,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    preparedStatements: env.DB_PREPARED_STATEMENTS,
    onError: (err) => logger.warn({ err: { message: err.message } }, 'database connection error'),
  });
  try {
    await migrate(database.adminUrl, (msg) => logger.info(msg));
    await assertIsolation({ runtime: clients.pool, platform: clients.platform.pool });
    const email = parsed.as ?? env.PLATFORM_ADMIN_EMAIL;
    if (!parsed.as) {
      const generated = await ensurePlatformAdmin(database.adminUrl, {
        email,
        password: env.PLATFORM_ADMIN_PASSWORD,
        passwords: { hash: hashPassword, verify: verifyPassword },
      });
      if (generated) io.stderr.write(`Platform admin created: ${email}\nPassword (shown once): ${generated}\n`);
    }
    const adminId = await platformAdminId(database.adminUrl, email);
    if (!adminId) {
      io.stderr.write(`error: no platform admin with email ${email}\n`);
      return 2;
    }
    const { services, dispatcher } = await wireServices(env, clients, logger);
    const code = await runCommand(
      { services, adminId, io, reason: parsed.reason, requireReason: env.REQUIRE_AUDIT_REASON },
      parsed,
    );
    // Events the command wrote are delivered now, whether or not a server is running.
    await dispatcher.drain();
    return code;
  } finally {
    await clients.close();
    await database.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
