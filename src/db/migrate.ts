import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { citusInstalled, distributeSchema } from './distribute.js';
import { splitSqlStatements } from './sql-statements.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MIGRATIONS_DIR = join(root, 'prisma', 'migrations');
export const SQL_DIR = join(root, 'sql');
const LOCK_KEY = 728012;

// Same table Prisma Migrate keeps, so `prisma migrate deploy` stays usable where its engine exists.
const HISTORY_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
  /** Whether the schema was distributed on Citus afterwards (CITUS_DISTRIBUTE). */
  distributed: boolean;
}

export interface MigrateOptions {
  /** On a Citus coordinator, distribute the schema after migrating (`npm run db:distribute`). */
  distribute?: boolean;
}

function listMigrations(): { name: string; sql: string; checksum: string }[] {
  return readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Migrations of this version not (or not completely) applied to the database: [] when current. */
export async function pendingMigrations(adminUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    const done = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(done.rows.map((r) => r.migration_name));
    return listMigrations()
      .map((m) => m.name)
      .filter((name) => !applied.has(name));
  } finally {
    await client.end().catch(() => undefined);
  }
}

const SQL_LOCK_TIMEOUT = '2s';
const SQL_ATTEMPTS = 10;

/**
 * Applies pending migrations (each in its own transaction, recorded in _prisma_migrations),
 * then re-applies the idempotent roles/functions/grants/policies in sql/. Runs as the owner
 * role; an advisory lock keeps concurrent instances from migrating at the same time. Every
 * file is sent one statement at a time (Citus refuses multi-statement strings with DDL); the
 * checksum is still that of the whole file, as Prisma records it. With `distribute` and the
 * citus extension present, the schema is then distributed (src/db/distribute.ts).
 */
export async function migrate(
  adminUrl: string,
  log: (msg: string) => void = () => undefined,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(HISTORY_DDL);
    const done = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Map(done.rows.map((r) => [r.migration_name, r.checksum]));
    const result: MigrationResult = { applied: [], alreadyApplied: 0, distributed: false };
    // On Citus, DDL on a reference table after parallel DDL on distributed tables in the same
    // transaction is refused; one connection per worker (sequential mode) allows both. Citus
    // also refuses any trigger on its tables unless told otherwise: the tenant state machine
    // (sql/05_lifecycle.sql) is a row trigger on the tenants reference table, which reads
    // nothing but its row, so it runs on each placement alike.
    const begin = (await citusInstalled(client))
      ? async () => {
          await client.query('BEGIN');
          await client.query(`SET LOCAL citus.multi_shard_modify_mode TO 'sequential'`);
          await client.query('SET LOCAL citus.enable_unsafe_triggers TO on');
        }
      : () => client.query('BEGIN');
    for (const m of listMigrations()) {
      const previous = applied.get(m.name);
      if (previous) {
        if (previous !== m.checksum) log(`warning: migration ${m.name} was modified after it was applied`);
        result.alreadyApplied++;
        continue;
      }
      log(`applying migration ${m.name}`);
      const id = randomUUID();
      await begin();
      try {
        for (const statement of splitSqlStatements(m.sql)) await client.query(statement);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, now(), 1)`,
          [id, m.checksum, m.name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      result.applied.push(m.name);
    }
    for (const file of readdirSync(SQL_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      const sql = readFileSync(join(SQL_DIR, file), 'utf8');
      // Other instances may be serving while this one starts: the file's DDL (policies, triggers)
      // waits for each table's lock at most SQL_LOCK_TIMEOUT, so requests never queue behind it
      // for long, and a lock timeout or a deadlock with a request is retried, not fatal.
      for (let attempt = 1; ; attempt++) {
        await begin();
        try {
          await client.query(`SET LOCAL lock_timeout = '${SQL_LOCK_TIMEOUT}'`);
          for (const statement of splitSqlStatements(sql)) await client.query(statement);
          await client.query('COMMIT');
          break;
        } catch (err) {
          await client.query('ROLLBACK');
          const state = (err as { code?: string }).code;
          if ((state === '40P01' || state === '55P03') && attempt < SQL_ATTEMPTS) {
            log(`sql/${file}: ${state === '40P01' ? 'deadlock with a request' : 'a table was busy'}, retrying`);
            await new Promise((r) => setTimeout(r, 200 * attempt + Math.random() * 300));
            continue;
          }
          throw new Error(`sql/${file} failed: ${(err as Error).message}`);
        }
      }
    }
    // Still under the lock: a second instance starting meanwhile waits for the distribution.
    if (options.distribute && (await citusInstalled(client))) {
      await distributeSchema(adminUrl, log);
      result.distributed = true;
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
