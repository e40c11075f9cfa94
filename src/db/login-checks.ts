import type pg from 'pg';

/** Same shape as IsolationProblem (self-check.ts imports this file, so no import back). */
export interface LoginProblem {
  check: string;
  detail: string;
}

/** The logins the server connects as, named as sql/ grants and policies name them. */
export const RUNTIME_LOGIN = 'tenantry_app';
export const PLATFORM_LOGIN = 'tenantry_platform';

export type LoginKind = 'runtime' | 'platform';
type Db = pg.Pool | pg.Client;

const EXPECTED: Record<LoginKind, string> = { runtime: RUNTIME_LOGIN, platform: PLATFORM_LOGIN };
const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

/**
 * What the connected login (current_user) is and owns: never a superuser nor BYPASSRLS (either
 * would skip every policy), the role the policies are written for, and owner of nothing.
 */
export async function loginFacts(db: Db, kind: LoginKind): Promise<LoginProblem[]> {
  const label = `${kind} login`;
  const { rows } = await db.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
    'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
  );
  const me = rows[0];
  if (!me) return [{ check: 'role', detail: `${label}: current role not found in pg_roles` }];
  const problems: LoginProblem[] = [];
  if (me.rolsuper) problems.push({ check: 'role', detail: `${label} ${me.rolname} is a superuser` });
  if (me.rolbypassrls) problems.push({ check: 'role', detail: `${label} ${me.rolname} has BYPASSRLS` });
  if (me.rolname !== EXPECTED[kind]) {
    problems.push({
      check: 'role',
      detail: `${label} is ${me.rolname}, but the policies and grants are written for ${EXPECTED[kind]}`,
    });
  }
  const owned = await db.query<{ kind: string; name: string }>(
    `WITH me AS (SELECT oid FROM pg_roles WHERE rolname = current_user)
     SELECT 'relation' AS kind, c.oid::regclass::text AS name FROM pg_class c, me WHERE c.relowner = me.oid
     UNION ALL SELECT 'function', p.oid::regprocedure::text FROM pg_proc p, me WHERE p.proowner = me.oid
     UNION ALL SELECT 'schema', n.nspname FROM pg_namespace n, me WHERE n.nspowner = me.oid
     UNION ALL SELECT 'type', t.oid::regtype::text FROM pg_type t, me WHERE t.typowner = me.oid`,
  );
  for (const o of owned.rows) problems.push({ check: 'ownership', detail: `${kind} role owns ${o.kind} ${o.name}` });
  return problems;
}

interface Grant {
  table: string;
  privileges: string;
}

/**
 * Table privileges of the connected login (has_table_privilege and friends read
 * current_user's, directly or through inherited roles). Both logins: no TRUNCATE anywhere
 * (it skips row-level security) and an append-only audit_log. The runtime login: nothing on a
 * table without forced row-level security (platform_admins, platform_refresh_tokens, the
 * migration history). The platform login: platform_admins read-only, and on domain_events
 * and platform_refresh_tokens updates of their bookkeeping columns only.
 */
export async function privilegeProblems(db: Db, kind: LoginKind): Promise<LoginProblem[]> {
  const label = `${kind} login`;
  const problem = (detail: string) => ({ check: 'privilege', detail: `${label} ${detail}` });
  const problems: LoginProblem[] = [];

  const truncatable = await grants(
    db,
    `SELECT format('%I.%I', n.nspname, c.relname) AS table, 'TRUNCATE' AS privileges
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} AND has_table_privilege(c.oid, 'TRUNCATE')`,
  );
  for (const g of truncatable) problems.push(problem(`can TRUNCATE ${g.table} (TRUNCATE skips row-level security)`));

  const audit = await grants(db, writesOn(`to_regclass('public.audit_log')`, ['UPDATE', 'DELETE']));
  for (const g of audit) problems.push(problem(`can ${g.privileges} ${g.table}, which is append-only`));

  if (kind === 'runtime') {
    const unprotected = await grants(
      db,
      `SELECT format('%I.%I', n.nspname, c.relname) AS table,
              concat_ws(', ', ${['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REFERENCES', 'TRIGGER']
                .map((p) => `CASE WHEN ${anyPrivilege(p)} THEN '${p}' END`)
                .join(', ')}) AS privileges
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} AND NOT (c.relrowsecurity AND c.relforcerowsecurity)`,
    );
    for (const g of unprotected) {
      problems.push(problem(`can ${g.privileges} ${g.table}, which has no forced row-level security`));
    }
  } else {
    const admins = await grants(db, writesOn(`to_regclass('public.platform_admins')`, ['INSERT', 'UPDATE', 'DELETE']));
    for (const g of admins) problems.push(problem(`can ${g.privileges} ${g.table} (only the owner creates admins)`));
    for (const [table, allowed] of [
      ['domain_events', OUTBOX_DELIVERY_COLUMNS],
      ['platform_events', OUTBOX_DELIVERY_COLUMNS],
      ['platform_refresh_tokens', ['used_at', 'revoked_at']],
    ] as const) {
      const columns = await db.query<{ column: string }>(
        `SELECT a.attname AS column FROM pg_attribute a
          WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            AND NOT (a.attname = ANY ($2)) AND has_column_privilege(a.attrelid, a.attnum, 'UPDATE')
          ORDER BY a.attnum`,
        [`public.${table}`, allowed],
      );
      for (const c of columns.rows) problems.push(problem(`can UPDATE ${table}.${c.column}`));
    }
  }
  return problems;
}

// Table-level or, for the privileges that exist per column, on any column.
const anyPrivilege = (p: string) =>
  ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'].includes(p)
    ? `has_any_column_privilege(c.oid, '${p}')`
    : `has_table_privilege(c.oid, '${p}')`;

function writesOn(oid: string, privileges: string[]): string {
  return `SELECT format('%I.%I', n.nspname, c.relname) AS table,
                 concat_ws(', ', ${privileges.map((p) => `CASE WHEN ${anyPrivilege(p)} THEN '${p}' END`).join(', ')}) AS privileges
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.oid = ${oid}`;
}

/** An outbox row's delivery bookkeeping: all the platform login may change of an event. */
const OUTBOX_DELIVERY_COLUMNS = ['dispatched_at', 'attempts', 'next_attempt_at', 'failed_at', 'last_error'];

async function grants(db: Db, sql: string): Promise<Grant[]> {
  return (await db.query<Grant>(sql)).rows.filter((g) => g.privileges !== '');
}
