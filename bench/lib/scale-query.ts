import { performance } from 'node:perf_hooks';
import type pg from 'pg';

/**
 * One tenant transaction as the runtime role, the way the API runs it: BEGIN, begin_request
 * (SET LOCAL), the query, COMMIT. Returns the query's own round trip in ms; throws when the
 * row count differs from `expect` (every variant must return the same answer).
 */
export async function tenantQuery(
  client: pg.Client,
  tenant: string,
  query: { name: string; text: string },
  values: unknown[],
  expect: number,
): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query({ name: 'scale_begin', text: 'SELECT app.begin_request($1::uuid, NULL)', values: [tenant] });
    const t0 = performance.now();
    const r = await client.query({ ...query, values });
    const ms = performance.now() - t0;
    if (r.rowCount !== expect) throw new Error(`${query.name}: ${r.rowCount} rows, expected ${expect}`);
    await client.query('COMMIT');
    return ms;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) inside a tenant transaction as the runtime role. */
export async function explainAsTenant(client: pg.Client, tenant: string, text: string, values: unknown[]) {
  await client.query('BEGIN');
  try {
    await client.query('SELECT app.begin_request($1::uuid, NULL)', [tenant]);
    const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    return r.rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
  }
}

/** What a plan does to find the tenant's rows: index (and which) or sequential scan. */
export interface PlanShape {
  seqScan: boolean;
  index?: string;
  tenantInIndexCond: boolean;
  /** The policy expression is checked per row (Filter) rather than, or besides, as an index key. */
  policyFilter: boolean;
}

export function planShape(plan: string): PlanShape {
  const index = /(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\S+)/.exec(plan)?.[1];
  const cond = [...plan.matchAll(/Index Cond: (.*)/g)].map((m) => m[1]).join(' ');
  return {
    seqScan: /Seq Scan/.test(plan),
    index,
    tenantInIndexCond: cond.includes('tenant_id'),
    policyFilter: /Filter: .*(?:app_slow\.|current_tenant_id|current_setting)/.test(plan),
  };
}

export function describePlan(p: PlanShape): string {
  const access = p.seqScan ? 'Seq Scan' : p.index ? `Index Scan ${p.index}` : '?';
  const how = [p.tenantInIndexCond ? 'tenant_id in Index Cond' : '', p.policyFilter ? 'policy as Filter' : '']
    .filter(Boolean)
    .join(', ');
  return how ? `${access} (${how})` : access;
}

/**
 * The generic plan (the one a named prepared statement settles on after five executions, as
 * the measured queries are): PREPARE, force_generic_plan, EXPLAIN (ANALYZE, BUFFERS) EXECUTE,
 * inside a tenant transaction as the runtime role. Parameters are passed as quoted literals.
 */
export async function explainGenericAsTenant(client: pg.Client, tenant: string, text: string, values: unknown[]) {
  await client.query('BEGIN');
  try {
    await client.query('SELECT app.begin_request($1::uuid, NULL)', [tenant]);
    await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE scale_generic AS ${text}`);
    const args = values.map((v) => client.escapeLiteral(String(v)));
    const r = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) EXECUTE scale_generic${args.length ? `(${args.join(', ')})` : ''}`,
    );
    return r.rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
    // PREPARE outlives the transaction; only this statement goes (the driver's own stay).
    await client.query('DEALLOCATE scale_generic').catch(() => undefined);
  }
}
