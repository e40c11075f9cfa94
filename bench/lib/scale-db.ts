import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { bootstrapDatabase } from '../../src/db/bootstrap.js';
import { migrate } from '../../src/db/migrate.js';

/** Same shape as bench/lib/sections.ts (kept structural so the two helpers stay independent). */
export interface ScaleContext {
  adminUrl: string;
  superUrl?: string;
  runtimeUrl: string;
  platformUrl: string;
  quick: boolean;
  log: (s: string) => void;
}

export interface ScaleSection {
  title: string;
  markdown: string;
  json: { checks: Check[] } & Record<string, unknown>;
}

export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

export interface ScaleDatabase {
  adminUrl: string;
  runtimeUrl: string;
  platformUrl: string;
  /** True when the section works in its own throw-away database (needs the superuser URL). */
  scratch: boolean;
  /** 8 hex digits: tags this run's tenant ids and slugs. */
  prefix: string;
  dispose(): Promise<void>;
}

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/**
 * A migrated database of its own for one section, so its million rows, comparison schemas
 * and odd policies never meet the API's database (whose start-up self-check would reject
 * them). Without a superuser URL it falls back to the given database; the caller then
 * removes what it created.
 */
export async function openScaleDatabase(ctx: ScaleContext, label: string): Promise<ScaleDatabase> {
  const prefix = randomBytes(4).toString('hex');
  if (!ctx.superUrl) {
    ctx.log(`${label}: no superuser URL, working in the given database (cleaned up afterwards)`);
    return {
      adminUrl: ctx.adminUrl,
      runtimeUrl: ctx.runtimeUrl,
      platformUrl: ctx.platformUrl,
      scratch: false,
      prefix,
      dispose: async () => {},
    };
  }
  const superUrl = ctx.superUrl;
  const database = `tenantry_bench_${label}_${prefix}`;
  await bootstrapDatabase(superUrl, { database });
  const adminUrl = withDatabase(ctx.adminUrl, database);
  await migrate(adminUrl);
  return {
    adminUrl,
    runtimeUrl: withDatabase(ctx.runtimeUrl, database),
    platformUrl: withDatabase(ctx.platformUrl, database),
    scratch: true,
    prefix,
    dispose: async () => {
      await withClient(superUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    },
  };
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, statement_timeout: 600_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function connectMany(url: string, n: number): Promise<pg.Client[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = new pg.Client({
        connectionString: url,
        statement_timeout: 120_000,
        application_name: 'tenantry-bench',
      });
      await c.connect();
      return c;
    }),
  );
}

/** The platform login (what TenantService uses) writes the fixtures the runtime login reads. */
export async function asPlatform(platformUrl: string, sql: string, values: unknown[] = []): Promise<number> {
  return withClient(platformUrl, async (c) => {
    await c.query('BEGIN');
    await c.query('SELECT app.begin_platform(NULL)');
    const r = await c.query(sql, values);
    await c.query('COMMIT');
    return r.rowCount ?? 0;
  });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

export const isMain = (metaUrl: string): boolean =>
  Boolean(process.argv[1]) && resolve(process.argv[1]!) === fileURLToPath(metaUrl);

/** `npx tsx bench/<file>.ts [--quick] [--json out.json]`: a fresh embedded PostgreSQL for one section. */
export async function runStandalone(run: (ctx: ScaleContext) => Promise<ScaleSection>): Promise<void> {
  const quick = process.argv.includes('--quick');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-scale-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as the 'postgres' system user
  const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
  const db = await startEmbeddedPostgres({ dataDir, port: await freePort(), log });
  const stop = async () => {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const interrupted = () => void stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    await migrate(db.adminUrl);
    const { adminUrl, superUrl, runtimeUrl, platformUrl } = db;
    const section = await run({ adminUrl, superUrl, runtimeUrl, platformUrl, quick, log });
    process.stdout.write(`## ${section.title}\n\n${section.markdown}\n`);
    const jsonAt = process.argv.indexOf('--json');
    if (jsonAt > 0 && process.argv[jsonAt + 1]) {
      writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(section.json, null, 2));
    }
    const failed = section.json.checks.filter((c) => !c.pass);
    for (const c of failed) log(`CHECK FAILED: ${c.name}: ${c.detail}`);
    if (failed.length) process.exitCode = 1;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await stop();
  }
}
