import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { freePort } from './free-port.js';
import type { TestDatabase } from './global-setup.js';

/** A PostgreSQL cluster of the test's own, which it may stop and start without disturbing others. */
export interface FaultDb extends TestDatabase {
  /** Fast shutdown (SIGINT): open sessions are terminated, new connections refused. */
  stop(): Promise<void>;
  /** Starts the same cluster again on the same port. */
  start(): Promise<void>;
  /** Fixture reads and locks as the superuser (bypasses RLS; never an isolation assertion). */
  superQuery<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  destroy(): Promise<void>;
}

export async function startFaultDb(): Promise<FaultDb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-fault-'));
  // PostgreSQL runs as the postgres user, which must enter the directory.
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  let server: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir, port });
  await migrate(server.adminUrl);
  const { runtimeUrl, platformUrl, adminUrl, superUrl } = server;

  return {
    runtimeUrl,
    platformUrl,
    adminUrl,
    superUrl,
    dataDir,
    citus: false,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await startEmbeddedPostgres({ dataDir, port });
    },
    async superQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: superUrl });
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async destroy() {
      await server?.stop();
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
