import type pg from 'pg';
import { citusInstalled, DISTRIBUTION_COLUMN } from './distribute.js';

type Db = Pick<pg.ClientBase, 'query'>;

interface Problem {
  check: string;
  detail: string;
}

/**
 * On a Citus coordinator: every tenant table is distributed by tenant_id and co-located with
 * the others, this login's SET LOCAL reaches the workers, and every shard of every tenant
 * table has row-level security enabled and forced with the tenant policy (the shards are
 * what the workers read; a shard without its policy would serve every tenant's rows). Nothing
 * on plain PostgreSQL.
 */
export async function citusProblems(db: Db, login: string, tenantPolicy: string): Promise<Problem[]> {
  if (!(await citusInstalled(db))) return [];
  const problems = await settingProblems(db, login);
  const tables = await db.query<{
    name: string;
    method: string | null;
    column: string | null;
    colocation: number | null;
  }>(
    `SELECT c.relname AS name, p.partmethod::text AS method,
            CASE WHEN p.partmethod = 'h' THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END AS column,
            p.colocationid AS colocation
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped
       LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
    [DISTRIBUTION_COLUMN],
  );
  const colocations = new Set<number>();
  for (const t of tables.rows) {
    if (t.method !== 'h' || t.column !== DISTRIBUTION_COLUMN) {
      problems.push({
        check: 'citus',
        detail: `${t.name}: not distributed by ${DISTRIBUTION_COLUMN} (run npm run db:distribute)`,
      });
      continue;
    }
    if (t.colocation !== null) colocations.add(t.colocation);
    const shards = await db.query<{ shardid: string; success: boolean; result: string }>(
      `SELECT shardid, success, result FROM run_command_on_shards($1::regclass, $2)`,
      [
        `public.${t.name}`,
        `SELECT c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (
           SELECT 1 FROM pg_catalog.pg_policy pol WHERE pol.polrelid = c.oid AND pol.polname = 'tenant_isolation'
              AND pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) = ${literal(tenantPolicy)}
              AND pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) = ${literal(tenantPolicy)})
           FROM pg_catalog.pg_class c WHERE c.oid = '%s'::regclass`,
      ],
    );
    const bad = shards.rows.filter((s) => !s.success || s.result !== 't');
    if (bad.length > 0) {
      problems.push({
        check: 'citus',
        detail: `${t.name}: ${bad.length} of ${shards.rowCount} shard(s) lack RLS, FORCE or the tenant policy (${bad
          .slice(0, 3)
          .map((s) => `shard ${s.shardid}: ${s.success ? `check returned ${s.result}` : s.result}`)
          .join('; ')})`,
      });
    }
  }
  if (colocations.size > 1) {
    problems.push({
      check: 'citus',
      detail: `tenant tables are in ${colocations.size} co-location groups; they must share one (a tenant's rows on one node)`,
    });
  }
  return problems;
}

/** On Citus, only SET LOCAL reaches the workers, and only with propagate_set_commands = 'local'. */
export async function citusSettingProblems(db: Db, login: string): Promise<Problem[]> {
  if (!(await citusInstalled(db))) return [];
  return settingProblems(db, login);
}

async function settingProblems(db: Db, login: string): Promise<Problem[]> {
  const setting = await db.query<{ value: string | null }>(
    `SELECT pg_catalog.current_setting('citus.propagate_set_commands', true) AS value`,
  );
  const value = setting.rows[0]?.value ?? '';
  if (value === 'local') return [];
  return [
    {
      check: 'citus',
      detail: `citus.propagate_set_commands is '${value}' for ${login}, not 'local': the tenant context would not reach the workers (npm run db:distribute sets it)`,
    },
  ];
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
