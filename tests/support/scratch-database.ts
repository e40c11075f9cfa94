import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { bootstrapDatabase } from '../../src/db/bootstrap.js';
import { migrate } from '../../src/db/migrate.js';
import type { TestDatabase } from './global-setup.js';

/** A separate, migrated database on the test cluster, for fixtures that must be broken on purpose. */
export interface ScratchDatabase {
  name: string;
  superUrl: string;
  adminUrl: string;
  runtimeUrl: string;
  platformUrl: string;
  /** Runs SQL on the scratch database as the given role (fixture setup only). */
  exec(as: 'owner' | 'super', sql: string): Promise<void>;
  drop(): Promise<void>;
}

function onDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createScratchDatabase(db: TestDatabase, prefix = 'tenantry_scratch'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  // No passwords: the roles are cluster-wide and shared with the running test database.
  await bootstrapDatabase(db.superUrl, { database: name });
  const scratch: ScratchDatabase = {
    name,
    superUrl: onDatabase(db.superUrl, name),
    adminUrl: onDatabase(db.adminUrl, name),
    runtimeUrl: onDatabase(db.runtimeUrl, name),
    platformUrl: onDatabase(db.platformUrl, name),
    async exec(as, sql) {
      const client = new pg.Client({ connectionString: as === 'owner' ? scratch.adminUrl : scratch.superUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    async drop() {
      const client = new pg.Client({ connectionString: db.superUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
  try {
    await migrate(scratch.adminUrl);
  } catch (err) {
    await scratch.drop();
    throw err;
  }
  return scratch;
}
