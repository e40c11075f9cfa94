import type { DatabaseUrls } from './embedded.js';
import { startEmbeddedPostgres } from './embedded.js';
import { migrate } from './migrate.js';
import { checkServerLogins, type ServerLogins } from './self-check.js';

/** Resolves where the database is: the configured external one, or the embedded default. */
export async function resolveDatabase(opts: {
  databaseUrl?: string;
  adminUrl?: string;
  platformUrl?: string;
  dataDir: string;
  embeddedPort: number;
  log: (msg: string) => void;
}): Promise<DatabaseUrls & { stop(): Promise<void>; embedded: boolean }> {
  if (opts.databaseUrl && opts.adminUrl && opts.platformUrl) {
    return {
      runtimeUrl: opts.databaseUrl,
      adminUrl: opts.adminUrl,
      platformUrl: opts.platformUrl,
      stop: async () => undefined,
      embedded: false,
    };
  }
  const db = await startEmbeddedPostgres({ dataDir: opts.dataDir, port: opts.embeddedPort, log: opts.log });
  return { ...db, embedded: true };
}

export { migrate };

/**
 * Fail closed: refuses to go on when the live catalog, read by each login the server uses,
 * would weaken isolation.
 */
export async function assertIsolation(logins: ServerLogins): Promise<void> {
  const problems = await checkServerLogins(logins);
  if (problems.length) {
    throw new Error(
      `Refusing to start: the database does not enforce tenant isolation:\n${problems.map((p) => `  - [${p.check}] ${p.detail}`).join('\n')}`,
    );
  }
}

/** The database the configuration names (external, or the embedded one under DATA_DIR). */
export function resolveDatabaseFromEnv(
  env: {
    DATABASE_URL?: string;
    DATABASE_ADMIN_URL?: string;
    DATABASE_PLATFORM_URL?: string;
    DATA_DIR: string;
    EMBEDDED_PG_PORT: number;
  },
  log: (msg: string) => void,
) {
  return resolveDatabase({
    databaseUrl: env.DATABASE_URL,
    adminUrl: env.DATABASE_ADMIN_URL,
    platformUrl: env.DATABASE_PLATFORM_URL,
    dataDir: env.DATA_DIR,
    embeddedPort: env.EMBEDDED_PG_PORT,
    log,
  });
}
