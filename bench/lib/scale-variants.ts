/**
 * The tables compared by bench/rls-scale.ts. `rls` is the real public.students with the real
 * policy; the others are copies in the rls_bench schema with the same columns, indexes and
 * rows, differing only in their policy (or having none).
 */
export interface Variant {
  key: string;
  label: string;
  table: string;
  /** Policy expression of a copy table; undefined for the real table and the no-RLS copy. */
  policy?: string;
  /** Queries carry `tenant_id = $1` themselves. */
  explicit: boolean;
}

const fn = (body: string, attrs: string) =>
  `LANGUAGE plpgsql ${attrs} AS $$ BEGIN RETURN ${body}; END $$`.replace(/\s+/g, ' ');
const SETTING = `nullif(current_setting('app.current_tenant_id', true), '')::uuid`;

/** Policy functions written the ways guides show them, in a schema of their own. */
export const SLOW_FUNCTIONS: Record<string, string> = {
  tenant_plpgsql: fn(SETTING, ''),
  tenant_plpgsql_stable: fn(SETTING, 'STABLE'),
  tenant_definer: fn(SETTING, `SECURITY DEFINER SET search_path = ''`),
  tenant_definer_stable: fn(SETTING, `STABLE SECURITY DEFINER SET search_path = ''`),
};

export const VARIANTS: Variant[] = [
  { key: 'rls', label: 'RLS, inlined sql policy (Tenantry)', table: 'public.students', explicit: false },
  {
    // The policy-form comparison is copy against copy: the real table is a different table.
    key: 'rls_copy',
    label: 'RLS, inlined sql policy, on a copy',
    table: 'rls_bench.students_inline',
    policy: 'app.current_tenant_id()',
    explicit: false,
  },
  {
    key: 'rls_select',
    label: 'RLS, policy (SELECT app.current_tenant_id()) (InitPlan), on a copy',
    table: 'rls_bench.students_select',
    policy: '(SELECT app.current_tenant_id())',
    explicit: false,
  },
  { key: 'rls_filter', label: 'RLS + explicit tenant_id = $1', table: 'public.students', explicit: true },
  { key: 'plain', label: 'no RLS, explicit tenant_id = $1', table: 'rls_bench.students_plain', explicit: true },
  {
    key: 'plpgsql',
    label: 'plpgsql policy fn (volatility left default)',
    table: 'rls_bench.students_plpgsql',
    policy: 'app_slow.tenant_plpgsql()',
    explicit: false,
  },
  {
    key: 'plpgsql_filter',
    label: 'same + explicit tenant_id = $1',
    table: 'rls_bench.students_plpgsql',
    explicit: true,
  },
  {
    key: 'plpgsql_stable',
    label: 'plpgsql policy fn, STABLE',
    table: 'rls_bench.students_plpgsql_stable',
    policy: 'app_slow.tenant_plpgsql_stable()',
    explicit: false,
  },
  {
    key: 'definer',
    label: 'plpgsql SECURITY DEFINER policy fn',
    table: 'rls_bench.students_definer',
    policy: 'app_slow.tenant_definer()',
    explicit: false,
  },
  {
    key: 'definer_stable',
    label: 'plpgsql STABLE SECURITY DEFINER policy fn',
    table: 'rls_bench.students_definer_stable',
    policy: 'app_slow.tenant_definer_stable()',
    explicit: false,
  },
];

/** Copy tables, each seeded once (a variant sharing a table with an earlier one reuses it). */
export const COPY_TABLES = [...new Set(VARIANTS.map((v) => v.table).filter((t) => t.startsWith('rls_bench.')))];

export function comparisonDdl(): string {
  const functions = Object.entries(SLOW_FUNCTIONS).map(
    ([name, def]) => `CREATE FUNCTION app_slow.${name}() RETURNS uuid ${def};`,
  );
  const tables = COPY_TABLES.map(
    (t) => `CREATE TABLE ${t} (LIKE public.students INCLUDING DEFAULTS INCLUDING CONSTRAINTS);`,
  );
  return [
    'DROP SCHEMA IF EXISTS rls_bench CASCADE;',
    'DROP SCHEMA IF EXISTS app_slow CASCADE;',
    'CREATE SCHEMA app_slow;',
    'CREATE SCHEMA rls_bench;',
    ...functions,
    ...tables,
    'GRANT USAGE ON SCHEMA app_slow, rls_bench TO tenantry_app;',
    'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app_slow TO tenantry_app;',
    'GRANT SELECT ON ALL TABLES IN SCHEMA rls_bench TO tenantry_app;',
  ].join('\n');
}

/** Policies go on after seeding (the owner loads the copies without row checks). */
export function policyDdl(): string {
  return VARIANTS.filter((v) => v.policy)
    .map((v) =>
      [
        `ALTER TABLE ${v.table} ENABLE ROW LEVEL SECURITY;`,
        `ALTER TABLE ${v.table} FORCE ROW LEVEL SECURITY;`,
        `CREATE POLICY tenant_isolation ON ${v.table} USING (tenant_id = ${v.policy}) WITH CHECK (tenant_id = ${v.policy});`,
      ].join('\n'),
    )
    .join('\n');
}

const COLUMNS = 'id, student_no, first_name, last_name, email, date_of_birth, active, created_at, updated_at';

/**
 * list and byId are served by (tenant_id, …) indexes; search (the API's ILIKE over four
 * columns, first page by id) and count (a filter on a column no index covers, counted over
 * the whole tenant) have nothing but tenant_id to use an index for, so a policy the planner
 * cannot use as an index condition turns them into sequential scans of every tenant's rows.
 */
export type Kind = 'list' | 'byId' | 'search' | 'count';
export const KINDS: Kind[] = ['list', 'byId', 'search', 'count'];
/** Rows each kind returns, whatever the variant (the row count is checked on every call). */
export const expectedRows = (kind: Kind, rowsPerTenant: number): number =>
  kind === 'byId' || kind === 'count' ? 1 : Math.min(20, Math.floor(rowsPerTenant / 8));
/** Matches one first name in eight (the seed cycles eight names), in every tenant. */
export const SEARCH_TERM = '%grac%';
/** Matches one last name in eight. */
export const COUNT_TERM = '%uring%';

export function query(v: Variant, kind: Kind): string {
  const tenant = v.explicit ? 'tenant_id = $1' : '';
  const p = (n: number) => `$${n + (v.explicit ? 1 : 0)}`;
  const where = (cond: string) => ` WHERE ${[tenant, cond].filter(Boolean).join(' AND ')}`;
  switch (kind) {
    case 'list':
      return `SELECT ${COLUMNS} FROM ${v.table}${tenant ? ` WHERE ${tenant}` : ''} ORDER BY id LIMIT 20`;
    case 'byId':
      return `SELECT ${COLUMNS} FROM ${v.table}${where(`id = ${p(1)}`)}`;
    case 'search':
      return `SELECT ${COLUMNS} FROM ${v.table}${where(
        `(first_name ILIKE ${p(1)} OR last_name ILIKE ${p(1)} OR student_no ILIKE ${p(1)} OR email ILIKE ${p(1)})`,
      )} ORDER BY id LIMIT 20`;
    case 'count':
      return `SELECT count(*) FROM ${v.table}${where(`last_name ILIKE ${p(1)}`)}`;
  }
}

export function queryValues(v: Variant, kind: Kind, tenant: string, id: string): unknown[] {
  const values: unknown[] = v.explicit ? [tenant] : [];
  if (kind === 'byId') values.push(id);
  if (kind === 'search') values.push(SEARCH_TERM);
  if (kind === 'count') values.push(COUNT_TERM);
  return values;
}
