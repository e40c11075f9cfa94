import type pg from 'pg';
import type { DatabaseUrls } from './embedded.js';
import { startEmbeddedPostgres } from './embedded.js';
import { migrate } from './migrate.js';
import { checkIsolation } from './self-check.js';

/** Resolves where the database is: the configured external one, or the embedded default. */
export async function resolveDatabase(opts: {
  databaseUrl?: string;
  adminUrl?: string;
  dataDir: string;
  embeddedPort: number;
  log: (msg: string) => void;
}): Promise<DatabaseUrls & { stop(): Promise<void>; embedded: boolean }> {
  if (opts.databaseUrl && opts.adminUrl) {
    return { runtimeUrl: opts.databaseUrl, adminUrl: opts.adminUrl, stop: async () => undefined, embedded: false };
  }
  const db = await startEmbeddedPostgres({ dataDir: opts.dataDir, port: opts.embeddedPort, log: opts.log });
  return { ...db, embedded: true };
}

export { migrate };

/** Fail closed: refuses to go on when the live catalog would weaken isolation. */
export async function assertIsolation(pool: pg.Pool): Promise<void> {
  const problems = await checkIsolation(pool);
  if (problems.length) {
    throw new Error(
      `Refusing to start: the database does not enforce tenant isolation:\n${problems.map((p) => `  - [${p.check}] ${p.detail}`).join('\n')}`,
    );
  }
}
