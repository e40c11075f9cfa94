import type pg from 'pg';
import { checkSideDoors, membershipProblems } from './catalog-gate.js';
import { citusProblems, citusSettingProblems } from './citus-checks.js';
import { loginFacts, PLATFORM_LOGIN, privilegeProblems, RUNTIME_LOGIN } from './login-checks.js';

export const TENANT_POLICY_EXPR = '(tenant_id = app.current_tenant_id())';
export const TENANT_SELF_EXPR = '(id = app.current_tenant_id())';

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

/**
 * Everything that would weaken isolation, read from the live catalog by each login the server
 * connects as. The server refuses to start when this returns anything; the catalog tests
 * assert it is empty.
 */
export async function checkServerLogins(logins: ServerLogins): Promise<IsolationProblem[]> {
  const [runtime, platform] = await Promise.all([checkIsolation(logins.runtime), checkPlatformLogin(logins.platform)]);
  return [...runtime, ...platform];
}

/**
 * The runtime login's view: what it is, what it owns, what it can reach by SET ROLE, what it
 * may do to which table, the row-level security of every tenant table, and the side doors;
 * on Citus also the distribution and the shards' row-level security.
 */
export async function checkIsolation(runtime: Db): Promise<IsolationProblem[]> {
  const problems: IsolationProblem[] = [];
  problems.push(...(await loginFacts(runtime, 'runtime')));
  const ownerMember = await runtime.query<{ owner: string }>(
    `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND pg_has_role(current_user, c.relowner, 'MEMBER')`,
  );
  for (const o of ownerMember.rows) {
    problems.push({ check: 'ownership', detail: `runtime role is a member of table owner ${o.owner}` });
  }
  problems.push(...(await privilegeProblems(runtime, 'runtime')));
  problems.push(...(await tenantTables(runtime)));
  problems.push(...(await permissivePolicies(runtime)));
  problems.push(...(await checkSideDoors(runtime)));
  problems.push(...(await citusProblems(runtime, RUNTIME_LOGIN, TENANT_POLICY_EXPR)));
  return problems;
}

/** The platform login's view: no bypass, owns nothing, reaches no owner, may not rewrite history. */
export async function checkPlatformLogin(platform: Db): Promise<IsolationProblem[]> {
  return [
    ...(await loginFacts(platform, 'platform')),
    ...(await membershipProblems(platform, 'platform')),
    ...(await privilegeProblems(platform, 'platform')),
    ...(await citusSettingProblems(platform, PLATFORM_LOGIN)),
  ];
}

// Every table with a tenant_id: ENABLE and FORCE, and the exact tenant policy for the runtime login.
async function tenantTables(db: Db): Promise<IsolationProblem[]> {
  const tables = await db.query<{ table: string; rls: boolean; force: boolean; policy: boolean }>(
    `SELECT c.relname AS table, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
            EXISTS (SELECT 1 FROM pg_policy pol
                     WHERE pol.polrelid = c.oid AND pol.polcmd = '*' AND pol.polpermissive
                       AND pol.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = $2)]::oid[]
                       AND pg_get_expr(pol.polqual, pol.polrelid) = $1
                       AND pg_get_expr(pol.polwithcheck, pol.polrelid) = $1) AS policy
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
    [TENANT_POLICY_EXPR, RUNTIME_LOGIN],
  );
  const problems: IsolationProblem[] = [];
  if (tables.rowCount === 0)
    problems.push({ check: 'rls', detail: 'no tenant tables found (is the schema migrated?)' });
  for (const t of tables.rows) {
    if (!t.rls) problems.push({ check: 'rls', detail: `${t.table}: row level security is not enabled` });
    if (!t.force) problems.push({ check: 'rls', detail: `${t.table}: row level security is not forced` });
    if (!t.policy) {
      problems.push({ check: 'rls', detail: `${t.table}: no tenant policy ${TENANT_POLICY_EXPR} TO ${RUNTIME_LOGIN}` });
    }
  }
  const tenants = await db.query<{ rls: boolean; force: boolean; policy: boolean }>(
    `SELECT c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
            EXISTS (SELECT 1 FROM pg_policy pol
                     WHERE pol.polrelid = c.oid AND pol.polcmd = 'r' AND pol.polpermissive
                       AND pol.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = $2)]::oid[]
                       AND pg_get_expr(pol.polqual, pol.polrelid) = $1) AS policy
       FROM pg_class c WHERE c.oid = to_regclass('public.tenants')`,
    [TENANT_SELF_EXPR, RUNTIME_LOGIN],
  );
  const t = tenants.rows[0];
  if (t && !(t.rls && t.force && t.policy)) {
    problems.push({
      check: 'rls',
      detail: `tenants: needs RLS enabled and forced and the policy FOR SELECT TO ${RUNTIME_LOGIN} USING ${TENANT_SELF_EXPR}`,
    });
  }
  return problems;
}

/**
 * Permissive policies are OR-ed: on a tenant table (and on tenants) the only ones allowed are
 * the tenant policy to the runtime login and platform_all to the platform login alone. Any
 * other widens what a tenant sees, or hands cross-tenant access to some other role.
 */
async function permissivePolicies(db: Db): Promise<IsolationProblem[]> {
  const extra = await db.query<{ table: string; policy: string }>(
    `WITH login AS (SELECT (SELECT oid FROM pg_roles WHERE rolname = $3) AS runtime,
                           (SELECT oid FROM pg_roles WHERE rolname = $4) AS platform)
     SELECT c.relname AS table, pol.polname AS policy
       FROM pg_policy pol
       JOIN pg_class c ON c.oid = pol.polrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN login
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND pol.polpermissive
        AND (c.oid = to_regclass('public.tenants')
             OR EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
        AND NOT (pol.polname = 'platform_all' AND pol.polroles = ARRAY[login.platform])
        AND NOT (pol.polname = 'tenant_isolation' AND pol.polcmd = '*' AND pol.polroles = ARRAY[login.runtime]
                 AND pg_get_expr(pol.polqual, pol.polrelid) = $1
                 AND pg_get_expr(pol.polwithcheck, pol.polrelid) = $1)
        AND NOT (c.oid = to_regclass('public.tenants') AND pol.polname = 'tenant_self' AND pol.polcmd = 'r'
                 AND pol.polroles = ARRAY[login.runtime] AND pg_get_expr(pol.polqual, pol.polrelid) = $2)
      ORDER BY 1, 2`,
    [TENANT_POLICY_EXPR, TENANT_SELF_EXPR, RUNTIME_LOGIN, PLATFORM_LOGIN],
  );
  return extra.rows.map((e) => ({
    check: 'rls',
    detail: `${e.table}: extra permissive policy ${e.policy} (only tenant_isolation TO ${RUNTIME_LOGIN} and platform_all TO ${PLATFORM_LOGIN} may be)`,
  }));
}
