import type pg from 'pg';
import { checkSideDoors } from './catalog-gate.js';

export const TENANT_POLICY_EXPR = '(tenant_id = app.current_tenant_id())';

export interface IsolationProblem {
  check: string;
  detail: string;
}

type Db = pg.Pool | pg.Client;

/** A connection (pool or client) per login the server uses. */
export interface ServerLogins {
  runtime: Db;
  platform: Db;
}

/** Everything that would weaken isolation, read by each login the server connects as. */
export async function checkServerLogins(logins: ServerLogins): Promise<IsolationProblem[]> {
  const [runtime, platform] = await Promise.all([checkIsolation(logins.runtime), checkPlatformLogin(logins.platform)]);
  return [...runtime, ...platform];
}

/** The platform login reaches every tenant through its own policies: it must not bypass them. */
export async function checkPlatformLogin(platform: Db): Promise<IsolationProblem[]> {
  const { rows } = await platform.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
    'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
  );
  const me = rows[0];
  if (!me) return [{ check: 'role', detail: 'platform login: current role not found in pg_roles' }];
  const problems: IsolationProblem[] = [];
  if (me.rolsuper) problems.push({ check: 'role', detail: `platform login ${me.rolname} is a superuser` });
  if (me.rolbypassrls) problems.push({ check: 'role', detail: `platform login ${me.rolname} has BYPASSRLS` });
  return problems;
}

/**
 * Reads the live catalog as the runtime role and lists everything that would weaken tenant
 * isolation. The server refuses to start when this returns anything; the catalog tests
 * assert it is empty.
 */
export async function checkIsolation(pool: pg.Pool | pg.Client): Promise<IsolationProblem[]> {
  const problems: IsolationProblem[] = [];
  const role = await pool.query<{
    rolname: string;
    rolsuper: boolean;
    rolbypassrls: boolean;
    inherits_platform: boolean;
  }>(
    `SELECT r.rolname, r.rolsuper, r.rolbypassrls,
            coalesce(pg_has_role(current_user, 'tenantry_platform', 'USAGE'), false) AS inherits_platform
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const me = role.rows[0];
  if (!me) return [{ check: 'role', detail: 'current role not found in pg_roles' }];
  if (me.rolsuper) problems.push({ check: 'role', detail: `runtime role ${me.rolname} is a superuser` });
  if (me.rolbypassrls) problems.push({ check: 'role', detail: `runtime role ${me.rolname} has BYPASSRLS` });
  if (me.inherits_platform) {
    problems.push({
      check: 'role',
      detail: `runtime role ${me.rolname} inherits tenantry_platform privileges (it must be NOINHERIT and use SET ROLE)`,
    });
  }

  const owned = await pool.query<{ kind: string; name: string }>(
    `SELECT 'relation' AS kind, c.oid::regclass::text AS name FROM pg_class c WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
     UNION ALL SELECT 'function', p.oid::regprocedure::text FROM pg_proc p WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
     UNION ALL SELECT 'schema', n.nspname FROM pg_namespace n WHERE n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
     UNION ALL SELECT 'type', t.oid::regtype::text FROM pg_type t WHERE t.typowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)`,
  );
  for (const o of owned.rows) problems.push({ check: 'ownership', detail: `runtime role owns ${o.kind} ${o.name}` });

  const ownerMember = await pool.query<{ owner: string }>(
    `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND pg_has_role(current_user, c.relowner, 'MEMBER')`,
  );
  for (const o of ownerMember.rows) {
    problems.push({ check: 'ownership', detail: `runtime role is a member of table owner ${o.owner}` });
  }

  const tables = await pool.query<{
    table: string;
    rls: boolean;
    force: boolean;
    policy: boolean;
  }>(
    `SELECT c.relname AS table, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
            EXISTS (SELECT 1 FROM pg_policies p
                     WHERE p.schemaname = n.nspname AND p.tablename = c.relname
                       AND p.cmd = 'ALL' AND 'public' = ANY (p.roles)
                       AND p.qual = $1 AND p.with_check = $1) AS policy
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
    [TENANT_POLICY_EXPR],
  );
  if (tables.rowCount === 0)
    problems.push({ check: 'rls', detail: 'no tenant tables found (is the schema migrated?)' });
  for (const t of tables.rows) {
    if (!t.rls) problems.push({ check: 'rls', detail: `${t.table}: row level security is not enabled` });
    if (!t.force) problems.push({ check: 'rls', detail: `${t.table}: row level security is not forced` });
    if (!t.policy) problems.push({ check: 'rls', detail: `${t.table}: no tenant policy ${TENANT_POLICY_EXPR}` });
  }
  // Permissive policies are OR-ed: any other one that applies to the runtime role widens
  // what a tenant sees. Only the platform role may have its own.
  const extra = await pool.query<{ table: string; policy: string }>(
    `SELECT c.relname AS table, pol.polname AS policy
       FROM pg_policy pol
       JOIN pg_class c ON c.oid = pol.polrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND pol.polpermissive
        AND EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
        AND pol.polroles <> ARRAY(SELECT oid FROM pg_roles WHERE rolname = 'tenantry_platform')
        AND NOT (pol.polcmd = '*'
                 AND pg_get_expr(pol.polqual, pol.polrelid) = $1
                 AND pg_get_expr(pol.polwithcheck, pol.polrelid) = $1)`,
    [TENANT_POLICY_EXPR],
  );
  for (const e of extra.rows) {
    problems.push({ check: 'rls', detail: `${e.table}: extra permissive policy ${e.policy} widens the tenant policy` });
  }
  problems.push(...(await checkSideDoors(pool)));
  return problems;
}
