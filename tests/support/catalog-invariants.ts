import type pg from 'pg';

/** The only tenant policy expression allowed, as PostgreSQL deparses it. */
export const TENANT_EXPR = '(tenant_id = app.current_tenant_id())';
/** The login the tenant policy is written for. */
export const RUNTIME_LOGIN = 'tenantry_app';

type Queryable = Pick<pg.Client, 'query'>;

export interface TenantTable {
  schema: string;
  name: string;
  kind: string;
  partition: boolean;
  rls: boolean;
  force: boolean;
}

interface PolicyRow {
  schema: string;
  table: string;
  name: string;
  permissive: string;
  roles: string[];
  cmd: string;
  qual: string | null;
  with_check: string | null;
  applies_to_me: boolean;
}

/** Every table (plain, partitioned, or a partition) with a tenant_id column, in any user schema. */
export async function tenantTables(client: Queryable): Promise<TenantTable[]> {
  const { rows } = await client.query<TenantTable>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relispartition AS partition,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
      ORDER BY 1, 2`,
  );
  return rows;
}

async function policies(client: Queryable): Promise<PolicyRow[]> {
  const { rows } = await client.query<PolicyRow>(
    `SELECT p.schemaname AS schema, p.tablename AS table, p.policyname AS name, p.permissive,
            p.roles::text[] AS roles, p.cmd, p.qual, p.with_check,
            -- MEMBER, not USAGE: a role reachable by SET ROLE is reachable, inherited or not.
            'public' = ANY (p.roles)
              OR EXISTS (SELECT 1 FROM unnest(p.roles) r WHERE r <> 'public' AND pg_has_role(current_user, r, 'MEMBER'))
              AS applies_to_me
       FROM pg_policies p`,
  );
  return rows;
}

/**
 * Independent of src/db/self-check.ts on purpose: two implementations of the invariant, so a
 * bug in one does not hide a broken table. Returns one line per violation, naming the table.
 */
export async function tenantTableViolations(client: Queryable): Promise<string[]> {
  const [tables, all] = await Promise.all([tenantTables(client), policies(client)]);
  const out: string[] = [];
  for (const t of tables) {
    const name = `${t.schema}.${t.name}`;
    const mine = all.filter((p) => p.schema === t.schema && p.table === t.name);
    if (!t.rls) out.push(`${name}: row level security not enabled`);
    if (!t.force) out.push(`${name}: row level security not forced`);
    const isolation = mine.some(
      (p) =>
        p.permissive === 'PERMISSIVE' &&
        p.cmd === 'ALL' &&
        p.roles.length === 1 &&
        p.roles[0] === RUNTIME_LOGIN &&
        p.qual === TENANT_EXPR &&
        p.with_check === TENANT_EXPR,
    );
    if (!isolation) out.push(`${name}: no policy USING and WITH CHECK ${TENANT_EXPR} for ${RUNTIME_LOGIN}`);
    for (const p of mine) {
      const exprs = [p.qual, p.with_check].filter((e): e is string => e !== null);
      if (p.applies_to_me && exprs.some((e) => /\bOR\b/i.test(e))) {
        out.push(
          `${name}: policy ${p.name} for ${p.roles.includes('public') ? 'PUBLIC' : p.roles.join(', ')} contains OR`,
        );
      }
      // Permissive policies are OR-ed: any other one reachable by the runtime role widens access.
      if (p.permissive === 'PERMISSIVE' && p.applies_to_me && exprs.some((e) => e !== TENANT_EXPR)) {
        out.push(`${name}: permissive policy ${p.name} reachable by the runtime role is not ${TENANT_EXPR}`);
      }
    }
  }
  return out;
}

export interface RoleFacts {
  rolname: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  rolinherit: boolean;
  rolcanlogin: boolean;
  inherits_platform: boolean;
  member_of_platform: boolean;
  member_of_owner: boolean;
}

export async function currentRoleFacts(client: Queryable): Promise<RoleFacts> {
  const { rows } = await client.query<RoleFacts>(
    `SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolinherit, r.rolcanlogin,
            pg_has_role(current_user, 'tenantry_platform', 'USAGE') AS inherits_platform,
            pg_has_role(current_user, 'tenantry_platform', 'MEMBER') AS member_of_platform,
            pg_has_role(current_user, 'tenantry_owner', 'MEMBER') AS member_of_owner
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  return rows[0]!;
}

/** Objects in the current database owned by the current role (it must own nothing). */
export async function ownedByCurrentRole(client: Queryable): Promise<string[]> {
  const { rows } = await client.query<{ what: string }>(
    `WITH me AS (SELECT oid FROM pg_roles WHERE rolname = current_user)
     SELECT 'relation ' || c.oid::regclass::text AS what FROM pg_class c, me WHERE c.relowner = me.oid
     UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p, me WHERE p.proowner = me.oid
     UNION ALL SELECT 'schema ' || n.nspname FROM pg_namespace n, me WHERE n.nspowner = me.oid
     UNION ALL SELECT 'type ' || t.oid::regtype::text FROM pg_type t, me WHERE t.typowner = me.oid
     UNION ALL SELECT 'large object ' || l.oid FROM pg_largeobject_metadata l, me WHERE l.lomowner = me.oid
     UNION ALL SELECT 'database ' || d.datname FROM pg_database d, me
               WHERE d.datdba = me.oid AND d.datname = current_database()`,
  );
  return rows.map((r) => r.what);
}

/**
 * Foreign keys with no index whose leading columns are the key's columns (in any order):
 * without one, a delete or key change on the referenced side scans the referencing table.
 * One line per key, naming table and constraint.
 */
export async function unindexedForeignKeys(client: Queryable): Promise<string[]> {
  const { rows } = await client.query<{ what: string }>(
    `SELECT format('%s: foreign key %I (%s) has no index leading with its columns',
                   con.conrelid::regclass, con.conname,
                   (SELECT string_agg(a.attname, ', ' ORDER BY k.i)
                      FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)) AS what
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE con.contype = 'f'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (
              SELECT 1 FROM pg_index i
               WHERE i.indrelid = con.conrelid AND i.indisvalid AND i.indpred IS NULL
                 AND i.indnkeyatts >= cardinality(con.conkey)
                 AND (SELECT array_agg(x ORDER BY x) FROM unnest((i.indkey::int2[])[0:cardinality(con.conkey) - 1]) x)
                     = (SELECT array_agg(x ORDER BY x) FROM unnest(con.conkey) x))
      ORDER BY 1`,
  );
  return rows.map((r) => r.what);
}

/**
 * Supabase splinter's multiple_permissive_policies lint, written out here: a table with two
 * or more permissive policies for the same role and command (PUBLIC counts for every role,
 * FOR ALL for every command). Permissive policies are OR-ed, so each one is a way in.
 */
export async function multiplePermissivePolicies(client: Queryable): Promise<string[]> {
  const { rows } = await client.query<{ what: string }>(
    `SELECT format('%s: %s policies for role %s, command %s: %s', pol.polrelid::regclass, count(*), r.rolname, cmd,
                   string_agg(pol.polname, ', ' ORDER BY pol.polname)) AS what
       FROM pg_policy pol
       JOIN pg_class c ON c.oid = pol.polrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_roles r ON r.oid = ANY (pol.polroles) OR pol.polroles = '{0}'
       CROSS JOIN LATERAL unnest(CASE pol.polcmd WHEN 'r' THEN ARRAY['SELECT'] WHEN 'a' THEN ARRAY['INSERT']
                                                 WHEN 'w' THEN ARRAY['UPDATE'] WHEN 'd' THEN ARRAY['DELETE']
                                                 ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] END) AS cmd
      WHERE pol.polpermissive AND c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND r.rolname NOT LIKE 'pg\\_%' AND NOT r.rolbypassrls
      GROUP BY pol.polrelid, r.rolname, cmd
     HAVING count(*) > 1
      ORDER BY 1`,
  );
  return rows.map((r) => r.what);
}
