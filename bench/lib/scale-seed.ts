import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { asPlatform, withClient } from './scale-db.js';

const hex12 = (n: number) => n.toString(16).padStart(12, '0');
export const tenantId = (prefix: string, t: number): string => `${prefix}-0000-7000-8000-${hex12(t)}`;

/**
 * How a table's students are laid out: `tenants` × `rows` per tenant, interleaved (row n of
 * every tenant, then row n+1, as rows arriving over time from all tenants) unless clustered
 * (all rows of a tenant together). Ids are time-ordered in insertion order, like UUIDv7.
 */
export interface Layout {
  tenants: number;
  rows: number;
  clustered?: boolean;
}

const seqOf = (l: Layout, t: number, n: number) => (l.clustered ? t * l.rows + n : n * l.tenants + t);

export function studentId(layout: Layout, t: number, n: number): string {
  const h = hex12(seqOf(layout, t, n));
  return `${h.slice(0, 8)}-${h.slice(8)}-7000-8000-${hex12(t)}`;
}

const sqlTenant = (prefix: string, t: string) => `('${prefix}-0000-7000-8000-' || lpad(to_hex(${t}), 12, '0'))::uuid`;

export async function seedTenants(platformUrl: string, prefix: string, from: number, to: number): Promise<void> {
  await asPlatform(
    platformUrl,
    `INSERT INTO tenants (id, slug, name)
     SELECT ${sqlTenant(prefix, 't')}, 'bench-${prefix}-' || t, 'Bench tenant ' || t
       FROM generate_series($1::int, $2::int - 1) t`,
    [from, to],
  );
}

/** INSERT … SELECT generate_series of the rows [from, to) of a layout, in insertion order. */
export function studentsInsertSql(table: string, prefix: string, layout: Layout, from: number, to: number): string {
  const [t, n] = layout.clustered
    ? [`(s.seq / ${layout.rows})::int`, `(s.seq % ${layout.rows})::int`]
    : [`(s.seq % ${layout.tenants})::int`, `(s.seq / ${layout.tenants})::int`];
  return `INSERT INTO ${table} (tenant_id, id, student_no, first_name, last_name, email, date_of_birth, active, created_at, updated_at)
    SELECT ${sqlTenant(prefix, 'x.t')},
           (substr(x.h, 1, 8) || '-' || substr(x.h, 9, 4) || '-7000-8000-' || lpad(to_hex(x.t), 12, '0'))::uuid,
           'S' || lpad(x.n::text, 7, '0'),
           (ARRAY['Ada','Alan','Grace','Edsger','Barbara','Donald','Frances','John'])[1 + x.n % 8],
           (ARRAY['Lovelace','Turing','Hopper','Dijkstra','Liskov','Knuth','Allen','Backus'])[1 + (x.n / 8) % 8],
           's' || x.n || '@t' || x.t || '.example.org',
           date '2000-01-01' + (x.seq % 3650)::int,
           x.n % 10 <> 0,
           timestamptz '2025-01-01' + x.seq * interval '1 second',
           timestamptz '2025-01-01' + x.seq * interval '1 second'
      FROM generate_series(${from}::bigint, ${to - 1}::bigint) AS s(seq),
           LATERAL (SELECT s.seq, ${t} AS t, ${n} AS n,
                           lpad(to_hex(s.seq), 12, '0') AS h) x`;
}

/** Runs `fill(from, to)` over [0, total) in chunks, logging progress. */
export async function inChunks(
  total: number,
  chunk: number,
  log: (s: string) => void,
  what: string,
  fill: (from: number, to: number) => Promise<unknown>,
): Promise<void> {
  const t0 = performance.now();
  for (let from = 0; from < total; from += chunk) await fill(from, Math.min(total, from + chunk));
  log(`${what}: ${total.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

export interface IndexDef {
  name: string;
  def: string;
  primary: boolean;
}

/** The indexes of public.students as the migrations define them (read from the catalog). */
export async function studentIndexes(c: pg.Client): Promise<IndexDef[]> {
  const r = await c.query<IndexDef>(
    `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisprimary AS primary
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = 'public.students'::regclass ORDER BY ic.relname`,
  );
  return r.rows;
}

/** The same indexes on a copy table `schema.name` (index names start with the copy's name). */
export function copyIndexSql(defs: IndexDef[], table: string): string[] {
  const base = table.split('.')[1]!;
  return defs.map((d) =>
    d.def
      .replace(` INDEX ${d.name} ON `, ` INDEX ${d.name.replace(/^students/, base)} ON `)
      .replace(/ ON (?:public\.)?students /, ` ON ${table} `),
  );
}

/** The real policy of public.students, read back from the catalog (qual and with check). */
export async function studentPolicy(c: pg.Client): Promise<{ qual: string; check: string }> {
  const r = await c.query<{ qual: string; check: string }>(
    `SELECT qual, with_check AS check FROM pg_policies
      WHERE schemaname = 'public' AND tablename = 'students' AND policyname = 'tenant_isolation'`,
  );
  if (!r.rows[0]) throw new Error('public.students has no tenant_isolation policy');
  return r.rows[0];
}

/**
 * Loads each table's layout of students with two loaders (one per core). Tables with the same
 * layout get the same rows in the same order; index maintenance is left to the caller
 * (building indexes after the load is several times faster than maintaining them).
 */
export async function loadStudentTables(opts: {
  tables: { table: string; url: string; platform: boolean; layout: Layout }[];
  prefix: string;
  log: (s: string) => void;
}): Promise<void> {
  const load = async (mine: typeof opts.tables) => {
    for (const t of mine) {
      const total = t.layout.tenants * t.layout.rows;
      const chunk = Math.max(10_000, Math.ceil(total / 10));
      await withClient(t.url, async (c) => {
        await c.query('BEGIN');
        if (t.platform) await c.query('SELECT app.begin_platform(NULL)');
        await inChunks(total, chunk, opts.log, `  ${t.table}`, (from, to) =>
          c.query(studentsInsertSql(t.table, opts.prefix, t.layout, from, to)),
        );
        await c.query('COMMIT');
      });
    }
  };
  await Promise.all([0, 1].map((k) => load(opts.tables.filter((_, i) => i % 2 === k))));
}
