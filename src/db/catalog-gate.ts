import type pg from 'pg';

/** Same shape as IsolationProblem (self-check.ts imports this file, so no import back). */
export interface SideDoorProblem {
  check: string;
  detail: string;
}

/**
 * SECURITY DEFINER functions the runtime role may execute after a review (schema.name(args),
 * as format('%I.%I(%s)') prints them). Each still needs a non-bypassing owner and a pinned
 * search_path. None today.
 */
export const REVIEWED_SECURITY_DEFINERS: readonly string[] = [];

const TENANT_POLICY = '(tenant_id = app.current_tenant_id())';
const TENANT_SELF_POLICY = '(id = app.current_tenant_id())';
const RUNTIME_ROLES = `ARRAY[(SELECT oid FROM pg_roles WHERE rolname = 'tenantry_app')]::oid[]`;

// Schemas PostgreSQL owns; objects that belong to an extension are reviewed with the extension.
const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;
const NOT_EXTENSION = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;
const HAS_TENANT_ID = `EXISTS (SELECT 1 FROM pg_attribute a
  WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped)`;
const RUNTIME_CAN_USE = `(has_table_privilege(c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
  OR has_any_column_privilege(c.oid, 'SELECT,INSERT,UPDATE,REFERENCES'))`;
const FN_NAME = `format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))`;

type Db = pg.Pool | pg.Client;
const rows = async <T extends pg.QueryResultRow>(db: Db, sql: string, params: unknown[] = []) =>
  (await db.query<T>(sql, params)).rows;

/**
 * The side doors of DESIGN.md invariant 9, read from the live catalog as the runtime role
 * (current_user): each one would let a tenant's request reach rows beyond its own policy.
 */
export async function checkSideDoors(db: Db, reviewed = REVIEWED_SECURITY_DEFINERS): Promise<SideDoorProblem[]> {
  const membership = (d: Db) => membershipProblems(d, 'runtime');
  const checks = [partitions, views, securityDefiners(reviewed), triggers, leakproof, membership, largeObjects, notify];
  // One after another: a single pg.Client must not run queries concurrently.
  const problems: SideDoorProblem[] = [];
  for (const check of checks) problems.push(...(await check(db)));
  return problems;
}

// A partition (or inheritance child) read directly ignores its parent's policies.
async function partitions(db: Db): Promise<SideDoorProblem[]> {
  const found = await rows<{ name: string; rls: boolean; force: boolean; policy: boolean }>(
    db,
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
            EXISTS (SELECT 1 FROM pg_policy pol WHERE pol.polrelid = c.oid AND pol.polcmd = '*'
                       AND pol.polroles = ${RUNTIME_ROLES} AND pg_get_expr(pol.polqual, pol.polrelid) = $1
                       AND pg_get_expr(pol.polwithcheck, pol.polrelid) = $1) AS policy
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} AND ${HAS_TENANT_ID} AND ${RUNTIME_CAN_USE}
        AND (c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid))
      ORDER BY 1`,
    [TENANT_POLICY],
  );
  return found
    .filter((p) => !(p.rls && p.force && p.policy))
    .map((p) => {
      const missing = [!p.rls && 'RLS', !p.force && 'FORCE', !p.policy && 'the tenant policy'].filter(Boolean);
      return {
        check: 'partition',
        detail: `${p.name}: partition usable by the runtime role lacks its own ${missing.join(', ')}`,
      };
    });
}

async function views(db: Db): Promise<SideDoorProblem[]> {
  const found = await rows<{ name: string; kind: string; invoker: boolean; owner: string; bypasses: boolean }>(
    db,
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind, r.rolname AS owner,
            r.rolsuper OR r.rolbypassrls AS bypasses,
            EXISTS (SELECT 1 FROM unnest(c.reloptions) o
                     WHERE o LIKE 'security\\_invoker=%' AND substr(o, 18)::boolean) AS invoker
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
      WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMA} AND ${NOT_EXTENSION('pg_class', 'c.oid')}
        AND ${RUNTIME_CAN_USE}
      ORDER BY 1`,
  );
  return found.flatMap((v) => {
    const out: SideDoorProblem[] = [];
    if (v.kind === 'm')
      out.push({ check: 'view', detail: `${v.name}: materialized view (no RLS) usable by the runtime role` });
    else if (!v.invoker)
      out.push({ check: 'view', detail: `${v.name}: view usable by the runtime role lacks security_invoker` });
    if (v.bypasses) out.push({ check: 'view', detail: `${v.name}: owned by ${v.owner}, who bypasses RLS` });
    return out;
  });
}

function securityDefiners(reviewed: readonly string[]) {
  return async (db: Db): Promise<SideDoorProblem[]> => {
    const found = await rows<{ name: string; owner: string; bypasses: boolean; pinned: boolean }>(
      db,
      `SELECT ${FN_NAME} AS name, r.rolname AS owner, r.rolsuper OR r.rolbypassrls AS bypasses,
              EXISTS (SELECT 1 FROM unnest(p.proconfig) s WHERE s LIKE 'search\\_path=%') AS pinned
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
        WHERE p.prosecdef AND ${USER_SCHEMA} AND ${NOT_EXTENSION('pg_proc', 'p.oid')}
          AND has_function_privilege(p.oid, 'EXECUTE')
        ORDER BY 1`,
    );
    return found.flatMap((f) => {
      const problem = (detail: string) => ({ check: 'security-definer', detail: `${f.name}: ${detail}` });
      return [
        ...(reviewed.includes(f.name)
          ? []
          : [problem('SECURITY DEFINER, executable by the runtime role, not reviewed')]),
        ...(f.bypasses ? [problem(`SECURITY DEFINER owned by ${f.owner}, who bypasses RLS`)] : []),
        ...(f.pinned ? [] : [problem('SECURITY DEFINER without a pinned search_path')]),
      ];
    });
  };
}

// A trigger runs whatever the statement's author wrote; as SECURITY DEFINER it writes as its owner.
async function triggers(db: Db): Promise<SideDoorProblem[]> {
  const found = await rows<{ name: string; fn: string }>(
    db,
    `SELECT format('%I on %I.%I', t.tgname, n.nspname, c.relname) AS name, t.tgfoid::regprocedure::text AS fn
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE NOT t.tgisinternal AND p.prosecdef AND ${USER_SCHEMA}
      ORDER BY 1`,
  );
  return found.map((t) => ({ check: 'trigger', detail: `${t.name}: trigger function ${t.fn} is SECURITY DEFINER` }));
}

// The planner may run a LEAKPROOF function on rows before the tenant policy has filtered them.
async function leakproof(db: Db): Promise<SideDoorProblem[]> {
  const found = await rows<{ name: string }>(
    db,
    `SELECT ${FN_NAME} AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proleakproof AND ${USER_SCHEMA} AND ${NOT_EXTENSION('pg_proc', 'p.oid')} ORDER BY 1`,
  );
  return found.map((f) => ({ check: 'leakproof', detail: `${f.name}: user function marked LEAKPROOF` }));
}

/**
 * Roles the connected login (current_user) can SET ROLE to — NOINHERIT does not stop that —
 * that would step around its policies: a superuser, a BYPASSRLS role, an owner of tenant
 * tables, and for the runtime login also tenantry_platform and any role a cross-tenant policy
 * (one that is not the tenant policy) is written for.
 */
export async function membershipProblems(db: Db, who: 'runtime' | 'platform'): Promise<SideDoorProblem[]> {
  const crossTenant =
    who === 'runtime'
      ? `WHEN r.rolname = 'tenantry_platform' THEN 'the platform login'
         WHEN EXISTS (SELECT 1 FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE r.oid = ANY (pol.polroles) AND ${USER_SCHEMA}
                        AND EXISTS (SELECT 1 FROM unnest(ARRAY[pg_get_expr(pol.polqual, pol.polrelid),
                                                               pg_get_expr(pol.polwithcheck, pol.polrelid)]) e
                                     WHERE e IS NOT NULL AND e NOT IN ($1, $2)))
           THEN 'named in a cross-tenant policy'`
      : '';
  const found = await rows<{ role: string; why: string }>(
    db,
    `SELECT role, why FROM (
       SELECT r.rolname AS role,
              CASE WHEN r.rolsuper THEN 'a superuser' WHEN r.rolbypassrls THEN 'BYPASSRLS'
                   WHEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                 WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p') AND ${USER_SCHEMA} AND ${HAS_TENANT_ID})
                     THEN 'owner of tenant tables'
                   ${crossTenant} END AS why
         FROM pg_roles r
        WHERE r.rolname <> current_user AND pg_has_role(current_user, r.oid, 'MEMBER')) m
      WHERE why IS NOT NULL ORDER BY 1`,
    who === 'runtime' ? [TENANT_POLICY, TENANT_SELF_POLICY] : [],
  );
  return found.map((m) => ({ check: 'membership', detail: `${who} role is a member of ${m.role} (${m.why})` }));
}

// Large objects have no tenant_id and no RLS: any role granted one reads it whoever wrote it.
async function largeObjects(db: Db): Promise<SideDoorProblem[]> {
  const found = await rows<{ oid: string; owner: string }>(
    db,
    `SELECT oid::text, pg_get_userbyid(lomowner) AS owner FROM pg_largeobject_metadata ORDER BY oid LIMIT 20`,
  );
  return found.map((l) => ({ check: 'large-object', detail: `large object ${l.oid} (owner ${l.owner}) exists` }));
}

async function notify(db: Db): Promise<SideDoorProblem[]> {
  const found = await rows<{ name: string; body: string }>(
    db,
    `SELECT ${FN_NAME} AS name,
            CASE WHEN p.prosqlbody IS NULL THEN p.prosrc ELSE pg_get_functiondef(p.oid) END AS body
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE p.prokind IN ('f', 'p') AND l.lanname NOT IN ('c', 'internal') AND ${USER_SCHEMA}
        AND ${NOT_EXTENSION('pg_proc', 'p.oid')}
        AND (p.prosrc ~* 'notify' OR (p.prosqlbody IS NOT NULL AND pg_get_functiondef(p.oid) ~* 'notify'))
      ORDER BY 1`,
  );
  return found.flatMap((f) =>
    notifyPayloadProblems(f.body).map((why) => ({ check: 'notify', detail: `${f.name}: ${why}` })),
  );
}

const ID_PAYLOAD = /^(?:[a-z_][a-z0-9_]*\.)?(?:id|[a-z0-9_]*_id)(?:\s*::\s*(?:text|uuid|varchar))?$|^null$|^''$/i;

/**
 * Heuristic over a function's source, failing closed. `pg_notify(channel, payload)` passes
 * only when the payload is a single id column (`NEW.id`, `OLD.student_id::text`), NULL or '';
 * a concatenation, row_to_json, name or anything unparsed is reported. A `NOTIFY channel,
 * 'payload'` statement is always reported (its payload is a literal, or built in dynamic SQL
 * that cannot be checked); a bare `NOTIFY channel` passes. Comments are ignored.
 */
export function notifyPayloadProblems(source: string): string[] {
  const code = source.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  const problems: string[] = [];
  for (const m of code.matchAll(/\bpg_notify\s*\(/gi)) {
    const payload = secondArgument(code, (m.index ?? 0) + m[0].length);
    if (payload === undefined || !ID_PAYLOAD.test(payload))
      problems.push(`pg_notify payload ${payload ?? '(unparsed)'} is not an id`);
  }
  for (const m of code.matchAll(/\bnotify\s+([^\s,;]+)\s*,/gi)) {
    problems.push(`NOTIFY ${m[1]} carries a payload`);
  }
  return problems;
}

function secondArgument(source: string, start: number): string | undefined {
  const args: string[] = [''];
  let depth = 0;
  let quoted = false;
  for (let i = start; i < source.length; i++) {
    const ch = source[i] as string;
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')' && depth-- === 0) return args.length === 2 ? args[1]?.trim() : undefined;
    else if (!quoted && ch === ',' && depth === 0) {
      args.push('');
      continue;
    }
    args[args.length - 1] += ch;
  }
  return undefined;
}
