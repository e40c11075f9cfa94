import pg from 'pg';

/**
 * Distribution on Citus: every table with a tenant_id column is distributed by tenant_id,
 * co-located with the others (so a tenant's rows of every table live on one shard group and
 * composite foreign keys stay local to it), and every platform table a tenant table refers to
 * (tenants) becomes a reference table, copied to every node. Runs as the owner (Citus lets a
 * table's owner distribute it). Idempotent: what is already distributed as wanted is left
 * alone; a table distributed otherwise, or one that cannot be distributed by tenant_id, is
 * refused with a message that names it and why, before anything changes.
 */

type Db = pg.Client | pg.PoolClient;

export interface DistributionResult {
  reference: string[];
  distributed: string[];
  alreadyDone: string[];
}

interface CitusTable {
  name: string;
  kind: 'distributed' | 'reference' | 'local';
  column: string | null;
  colocationId: number;
}

export const DISTRIBUTION_COLUMN = 'tenant_id';

/** Whether the citus extension is installed in the connected database. */
export async function citusInstalled(db: Pick<pg.ClientBase, 'query'>): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus'`);
  return (rowCount ?? 0) > 0;
}

/** Public tables with a tenant_id column, each after the tenant tables it refers to. */
async function tenantTables(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ name: string; refs: string[] }>(
    `SELECT c.relname AS name,
            COALESCE(ARRAY(SELECT DISTINCT r.relname FROM pg_catalog.pg_constraint f
                             JOIN pg_catalog.pg_class r ON r.oid = f.confrelid
                            WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid), '{}') AS refs
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
    [DISTRIBUTION_COLUMN],
  );
  const names = new Set(rows.map((r) => r.name));
  const ordered: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (ordered.includes(name) || path.includes(name)) return;
    const row = rows.find((r) => r.name === name);
    for (const ref of row?.refs ?? []) if (names.has(ref)) visit(ref, [...path, name]);
    ordered.push(name);
  };
  for (const r of rows) visit(r.name, []);
  return ordered;
}

/** Tables without tenant_id that tenant tables refer to (and what those refer to, in turn). */
async function referencedPlatformTables(db: Db, tenant: string[]): Promise<string[]> {
  const found: string[] = [];
  let frontier = tenant;
  while (frontier.length > 0) {
    const { rows } = await db.query<{ name: string }>(
      `SELECT DISTINCT r.relname AS name
         FROM pg_catalog.pg_constraint f
         JOIN pg_catalog.pg_class c ON c.oid = f.conrelid
         JOIN pg_catalog.pg_class r ON r.oid = f.confrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
        WHERE f.contype = 'f' AND n.nspname = 'public'
          AND c.relname = ANY ($1::text[]) AND c.relnamespace = n.oid
        ORDER BY 1`,
      [frontier],
    );
    frontier = rows.map((r) => r.name).filter((t) => !tenant.includes(t) && !found.includes(t));
    found.push(...frontier);
  }
  // Referenced tables first, so each reference table's own references already exist.
  return found.reverse();
}

async function citusTables(db: Db): Promise<Map<string, CitusTable>> {
  const { rows } = await db.query<{ name: string; kind: string; column: string | null; colocation: number }>(
    `SELECT c.relname AS name,
            CASE p.partmethod WHEN 'h' THEN 'distributed' WHEN 'n' THEN
              CASE WHEN p.repmodel = 't' THEN 'reference' ELSE 'local' END
            ELSE 'local' END AS kind,
            CASE WHEN p.partmethod = 'h' THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END AS column,
            p.colocationid AS colocation
       FROM pg_dist_partition p
       JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public'`,
  );
  return new Map(
    rows.map((r) => [
      r.name,
      { name: r.name, kind: r.kind as CitusTable['kind'], column: r.column, colocationId: r.colocation },
    ]),
  );
}

/**
 * What would stop a table from being distributed by tenant_id, found before Citus is asked
 * (its own errors do not name the rule): unique constraints and primary keys must include
 * tenant_id, and a foreign key that includes tenant_id may have no ON UPDATE action.
 */
async function obstacles(db: Db, table: string): Promise<string[]> {
  const { rows } = await db.query<{ problem: string }>(
    `SELECT pg_catalog.format('%s %s does not include %s', CASE k.contype WHEN 'p' THEN 'primary key' ELSE 'unique constraint' END,
                              k.conname, $2::text) AS problem
       FROM pg_catalog.pg_constraint k
      WHERE k.conrelid = ('public.' || quote_ident($1::text))::regclass AND k.contype IN ('p', 'u')
        AND NOT (SELECT a.attnum FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = k.conrelid AND a.attname = $2) = ANY (k.conkey)
     UNION ALL
     SELECT pg_catalog.format('unique index %s does not include %s', i.indexrelid::regclass, $2::text)
       FROM pg_catalog.pg_index i
      WHERE i.indrelid = ('public.' || quote_ident($1::text))::regclass AND i.indisunique
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)
        AND NOT (SELECT a.attnum FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = i.indrelid AND a.attname = $2) = ANY (i.indkey::int2[])
     UNION ALL
     SELECT pg_catalog.format('foreign key %s has ON UPDATE %s', f.conname,
                              CASE f.confupdtype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END)
       FROM pg_catalog.pg_constraint f
      WHERE f.conrelid = ('public.' || quote_ident($1::text))::regclass AND f.contype = 'f'
        AND f.confupdtype IN ('c', 'n', 'd')
        AND (SELECT a.attnum FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = f.conrelid AND a.attname = $2) = ANY (f.conkey)`,
    [table, DISTRIBUTION_COLUMN],
  );
  return rows.map((r) => r.problem);
}

export class DistributionRefused extends Error {}

/**
 * Distributes the schema on the connected Citus coordinator (the owner's URL), in one
 * transaction. Throws DistributionRefused, naming the table and the reason, when a table
 * cannot be distributed as wanted.
 */
export async function distributeSchema(
  adminUrl: string,
  log: (msg: string) => void = () => undefined,
): Promise<DistributionResult> {
  const db = new pg.Client({ connectionString: adminUrl });
  await db.connect();
  try {
    if (!(await citusInstalled(db))) {
      throw new DistributionRefused(
        'the citus extension is not installed in this database (CREATE EXTENSION citus, as a superuser, on the coordinator)',
      );
    }
    const result: DistributionResult = { reference: [], distributed: [], alreadyDone: [] };
    const tenant = await tenantTables(db);
    const platform = await referencedPlatformTables(db, tenant);
    const current = await citusTables(db);

    // Check everything first: refuse before anything changes.
    for (const table of platform) {
      const state = current.get(table);
      if (state?.kind === 'reference') result.alreadyDone.push(table);
      else if (state?.kind === 'distributed') {
        throw new DistributionRefused(
          `cannot make ${table} a reference table: it is distributed by ${state.column} (undistribute_table('${table}') first)`,
        );
      } else result.reference.push(table);
    }
    let colocateWith: string | undefined = tenant.find((t) => current.get(t)?.kind === 'distributed');
    const anchor = colocateWith ? current.get(colocateWith) : undefined;
    for (const table of tenant) {
      const state = current.get(table);
      if (state?.kind === 'distributed') {
        if (state.column !== DISTRIBUTION_COLUMN) {
          throw new DistributionRefused(
            `cannot distribute ${table} by ${DISTRIBUTION_COLUMN}: it is already distributed by ${state.column} (undistribute_table('${table}') first)`,
          );
        }
        if (anchor && anchor.colocationId !== state.colocationId) {
          throw new DistributionRefused(
            `${table} is distributed by ${DISTRIBUTION_COLUMN} but not co-located with ${colocateWith} (update_distributed_table_colocation('${table}', colocate_with => '${colocateWith}'))`,
          );
        }
        result.alreadyDone.push(table);
        continue;
      }
      if (state?.kind === 'reference') {
        throw new DistributionRefused(
          `cannot distribute ${table} by ${DISTRIBUTION_COLUMN}: it is a reference table (undistribute_table('${table}') first)`,
        );
      }
      const problems = await obstacles(db, table);
      if (problems.length > 0) {
        throw new DistributionRefused(
          `cannot distribute ${table} by ${DISTRIBUTION_COLUMN}: ${problems.join('; ')} (Citus requires every unique constraint to include the distribution column and refuses ON UPDATE actions on foreign keys that include it)`,
        );
      }
      result.distributed.push(table);
    }

    const changing = [...result.reference, ...result.distributed];
    if (changing.length > 0) {
      // Citus takes a table into its metadata only when every foreign key between it and the
      // others is already allowed (distributed → reference or co-located distributed), so the
      // foreign keys touching the tables that change are dropped and re-created around the
      // conversion, all in one transaction: a failure leaves the schema as it was.
      await db.query('BEGIN');
      let step = '';
      try {
        await db.query(`SET LOCAL citus.multi_shard_modify_mode TO 'sequential'`);
        // The tenants table carries the lifecycle trigger (sql/05_lifecycle.sql), a row trigger
        // that reads only its row: safe on every placement of a reference table.
        await db.query('SET LOCAL citus.enable_unsafe_triggers TO on');
        const { rows: keys } = await db.query<{ table: string; name: string; def: string }>(
          `SELECT c.relname AS table, f.conname AS name, pg_catalog.pg_get_constraintdef(f.oid) AS def
             FROM pg_catalog.pg_constraint f
             JOIN pg_catalog.pg_class c ON c.oid = f.conrelid
             JOIN pg_catalog.pg_class r ON r.oid = f.confrelid
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE f.contype = 'f' AND n.nspname = 'public'
              AND (c.relname = ANY ($1::text[]) OR r.relname = ANY ($1::text[]))
            ORDER BY 1, 2`,
          [changing],
        );
        const ident = (name: string) => db.escapeIdentifier(name);
        for (const k of keys) {
          step = `dropping foreign key ${k.name} of ${k.table}`;
          await db.query(`ALTER TABLE public.${ident(k.table)} DROP CONSTRAINT ${ident(k.name)}`);
        }
        for (const table of result.reference) {
          step = `making ${table} a reference table`;
          log(`reference table ${table}`);
          await db.query(`SELECT create_reference_table($1::regclass)`, [`public.${table}`]);
        }
        for (const table of result.distributed) {
          step = `distributing ${table} by ${DISTRIBUTION_COLUMN}`;
          log(
            `distributed table ${table} by ${DISTRIBUTION_COLUMN}${colocateWith ? ` (co-located with ${colocateWith})` : ''}`,
          );
          // FORCE hides the rows from the owner; the shards are filled from what the owner reads.
          await db.query(`ALTER TABLE public.${ident(table)} NO FORCE ROW LEVEL SECURITY`);
          await db.query(`SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)`, [
            `public.${table}`,
            DISTRIBUTION_COLUMN,
            colocateWith ? `public.${colocateWith}` : 'default',
          ]);
          await db.query(`ALTER TABLE public.${ident(table)} FORCE ROW LEVEL SECURITY`);
          colocateWith ??= table;
        }
        for (const k of keys) {
          step = `re-creating foreign key ${k.name} of ${k.table}`;
          await db.query(`ALTER TABLE public.${ident(k.table)} ADD CONSTRAINT ${ident(k.name)} ${k.def}`);
        }
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw new DistributionRefused(`${step} failed, nothing was changed: ${(err as Error).message}`);
      }
    }

    // Only SET LOCAL reaches the workers, and only with this: the tenant context of every
    // request transaction. The owner owns the database, so it may set it there for every login.
    await db.query(
      `DO $$ BEGIN EXECUTE pg_catalog.format('ALTER DATABASE %I SET citus.propagate_set_commands = %L', current_database(), 'local'); END $$`,
    );
    return result;
  } finally {
    await db.end();
  }
}
