/**
 * Search at scale: `GET /students?q=` for a tenant of 100,000 students among 1,000 tenants
 * (--quick: 10,000 among 100), the old path (ILIKE over the tenant's rows in id order, what
 * Prisma's `contains` sends) against the new one (student_search: the rarest trigram drives,
 * ILIKE rechecks), each as the runtime role under RLS in the API's transaction shape, as named
 * prepared statements. Also the write cost of the trigger that keeps student_search: single
 * creates and 1,000-row bulk inserts with the trigger on and off, alternating rounds.
 * Standalone: `npx tsx bench/search-scale.ts [--quick]`.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { SEARCH_MIN_CHARS, studentSearchSql } from '../src/db/repositories/students.js';
import {
  asPlatform,
  type Check,
  connectMany,
  isMain,
  openScaleDatabase,
  runStandalone,
  type ScaleContext,
  type ScaleDatabase,
  type ScaleSection,
  withClient,
} from './lib/scale-db.js';
import { explainAsTenant } from './lib/scale-query.js';
import { seedTenants, tenantId } from './lib/scale-seed.js';
import { fmt, pairedSamples, percentile, ratio, table } from './lib/scale-stats.js';

const SIZES = {
  quick: {
    tenants: 100,
    big: 10_000,
    small: 50,
    iterations: 200,
    budgetMs: 3_000,
    writeRounds: 2,
    singles: 100,
    batches: 2,
  },
  full: {
    tenants: 1_000,
    big: 100_000,
    small: 100,
    iterations: 500,
    budgetMs: 15_000,
    writeRounds: 3,
    singles: 200,
    batches: 5,
  },
};
const LIMIT = 20;
/** Matching (one in eight students; a single student) and non-matching terms. */
const TERMS = [
  { term: 'hopper', kind: 'matches 1 in 8' },
  { term: 's4242@t0.', kind: 'matches 1' },
  { term: 'nobody', kind: 'matches none' },
  { term: 'lovelace-hopper', kind: 'matches none (common trigrams)' },
];
const OLD_SQL = `SELECT tenant_id, id, student_no, first_name, last_name, email, date_of_birth, active, created_at, updated_at
  FROM students WHERE tenant_id = $1 AND (first_name ILIKE $2 OR last_name ILIKE $2 OR student_no ILIKE $2 OR email ILIKE $2)
  ORDER BY id LIMIT $3`;
const pattern = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;
const oldQuery = (tenant: string, q: string) => ({ text: OLD_SQL, values: [tenant, pattern(q), LIMIT] });
const newQuery = (tenant: string, q: string) => {
  const s = studentSearchSql(tenant, { q, limit: LIMIT });
  return { text: s.text, values: s.values };
};

export async function run(ctx: ScaleContext): Promise<ScaleSection> {
  const size = ctx.quick ? SIZES.quick : SIZES.full;
  const db = await openScaleDatabase(ctx, 'search');
  let clients: pg.Client[] = [];
  try {
    const seeded = await seed(ctx, db.adminUrl, db.platformUrl, db.prefix, size);
    clients = await connectMany(db.runtimeUrl, 1);
    const [main] = clients as [pg.Client];
    const big = tenantId(db.prefix, 0);

    ctx.log('search-scale: answers and EXPLAIN as the runtime role');
    const checks: Check[] = [];
    const plans: Record<string, string> = {};
    for (const { term } of TERMS) {
      const [o, n] = [oldQuery(big, term), newQuery(big, term)];
      const ids = async (q: { text: string; values: unknown[] }) => {
        await main.query('BEGIN');
        try {
          await main.query('SELECT app.begin_request($1::uuid, NULL)', [big]);
          return (await main.query<{ id: string }>(q.text, q.values)).rows.map((r) => r.id).join(',');
        } finally {
          await main.query('ROLLBACK');
        }
      };
      const [a, b] = [await ids(o), await ids(n)];
      checks.push({
        name: `"${term}": new path returns the old path's rows`,
        pass: a === b,
        detail: `${a.split(',').filter(Boolean).length} rows`,
      });
      plans[`new:${term}`] = await explainAsTenant(main, big, n.text, n.values);
      if (term === 'nobody') plans[`old:${term}`] = await explainAsTenant(main, big, o.text, o.values);
      checks.push({
        name: `"${term}": EXPLAIN as tenantry_app shows student_search_trigram_idx with tenant_id in the Index Cond`,
        pass: /Index Only Scan using student_search_trigram_idx on student_search d[\s\S]*?Index Cond: \(\(tenant_id = /.test(
          plans[`new:${term}`]!,
        ),
        detail: 'see the plans below',
      });
    }

    ctx.log('search-scale: paired latency, old path vs new path');
    const probes = TERMS.flatMap(({ term }) =>
      (['old', 'new'] as const).map((path) => {
        const q = path === 'old' ? oldQuery(big, term) : newQuery(big, term);
        const name = `${path}:${term}`;
        const stmt = { name: `search_${path}_${TERMS.findIndex((t) => t.term === term)}`, text: q.text };
        return { name, run: () => timedSearch(main, big, stmt, q.values) };
      }),
    );
    await pairedSamples(probes, { iterations: 10, budgetMs: size.budgetMs / 10, draw: () => undefined });
    const latency = await pairedSamples(probes, {
      iterations: size.iterations,
      budgetMs: size.budgetMs,
      draw: () => undefined,
    });

    ctx.log('search-scale: write cost with the trigger on and off');
    const writes = await writeCost(db, size);
    return report(ctx, size, seeded, latency, plans, checks, writes, await serverVersion(main));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    if (!db.scratch)
      await asPlatform(db.platformUrl, 'DELETE FROM tenants WHERE slug LIKE $1', [`bench-${db.prefix}-%`]);
    await db.dispose();
  }
}

/** One search in the API's transaction shape; returns the search statement's round trip in ms. */
async function timedSearch(c: pg.Client, tenant: string, stmt: { name: string; text: string }, values: unknown[]) {
  await c.query('BEGIN');
  try {
    await c.query({ name: 'scale_begin', text: 'SELECT app.begin_request($1::uuid, NULL)', values: [tenant] });
    const t0 = performance.now();
    await c.query({ ...stmt, values });
    const ms = performance.now() - t0;
    await c.query('COMMIT');
    return ms;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

const sqlTenant = (prefix: string, t: string) => `('${prefix}-0000-7000-8000-' || lpad(to_hex(${t}), 12, '0'))::uuid`;

/** Students `seq` in [from, to): tenant 0 holds the first `big`, then `small` each for tenants 1…n. */
function insertStudents(prefix: string, big: number, from: number, to: number, tenants: number) {
  return `INSERT INTO students (tenant_id, id, student_no, first_name, last_name, email, active)
    SELECT ${sqlTenant(prefix, 'x.t')},
           (substr(x.h, 1, 8) || '-' || substr(x.h, 9, 4) || '-7000-8000-' || lpad(to_hex(x.t), 12, '0'))::uuid,
           'S' || lpad(x.n::text, 7, '0'),
           (ARRAY['Ada','Alan','Grace','Edsger','Barbara','Donald','Frances','John'])[1 + x.n % 8],
           (ARRAY['Lovelace','Turing','Hopper','Dijkstra','Liskov','Knuth','Allen','Backus'])[1 + (x.n / 8) % 8],
           's' || x.n || '@t' || x.t || '.example.org', x.n % 10 <> 0
      FROM generate_series(${from}::bigint, ${to - 1}::bigint) AS s(seq),
           LATERAL (SELECT CASE WHEN s.seq < ${big} THEN 0 ELSE 1 + (s.seq - ${big}) % ${tenants - 1} END AS t,
                           CASE WHEN s.seq < ${big} THEN s.seq ELSE (s.seq - ${big}) / ${tenants - 1} END AS n,
                           lpad(to_hex(s.seq), 12, '0') AS h) x`;
}

interface Seeded {
  students: number;
  trigramRows: number;
  studentsMb: number;
  searchMb: number;
}

/**
 * Loads the students with the trigger off and student_search's keys dropped, fills
 * student_search in one INSERT with the trigger's own expression, then rebuilds the keys from
 * their catalog definitions: the same rows the trigger writes, several times faster to build.
 */
async function seed(
  ctx: ScaleContext,
  adminUrl: string,
  platformUrl: string,
  prefix: string,
  size: (typeof SIZES)['full'],
): Promise<Seeded> {
  const total = size.big + size.small * (size.tenants - 1);
  ctx.log(
    `search-scale: seeding ${size.tenants} tenants, ${total.toLocaleString('en-US')} students (one of ${size.big.toLocaleString('en-US')})`,
  );
  const constraints = await withClient(adminUrl, async (c) => {
    const r = await c.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'public.student_search'::regclass AND contype IN ('p', 'f') ORDER BY contype DESC`,
    );
    const idx = await c.query<{ name: string; def: string }>(
      `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = 'public.student_search'::regclass AND NOT i.indisprimary`,
    );
    await c.query('ALTER TABLE students DISABLE TRIGGER student_search_insert');
    for (const k of r.rows) await c.query(`ALTER TABLE student_search DROP CONSTRAINT ${k.name}`);
    for (const i of idx.rows) await c.query(`DROP INDEX ${i.name}`);
    return { keys: r.rows, indexes: idx.rows };
  });
  await seedTenants(platformUrl, prefix, 0, size.tenants);
  const t0 = performance.now();
  const chunk = 50_000;
  for (let from = 0; from < total; from += chunk) {
    await asPlatform(platformUrl, insertStudents(prefix, size.big, from, Math.min(total, from + chunk), size.tenants));
  }
  ctx.log(`  students: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const t1 = performance.now();
  await asPlatform(
    platformUrl,
    `INSERT INTO student_search (tenant_id, student_id, trigram)
     SELECT s.tenant_id, s.id, g FROM students s,
            unnest(app.search_trigrams(ARRAY[s.first_name, s.last_name, s.student_no, s.email])) AS g
      WHERE s.tenant_id::text LIKE $1`,
    [`${prefix}-%`],
  );
  ctx.log(`  student_search: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  return withClient(adminUrl, async (c) => {
    await c.query(`SET maintenance_work_mem = '256MB'`);
    const t2 = performance.now();
    for (const k of [...constraints.keys].reverse())
      await c.query(`ALTER TABLE student_search ADD CONSTRAINT ${k.name} ${k.def}`);
    for (const i of constraints.indexes) await c.query(i.def);
    await c.query('ALTER TABLE students ENABLE TRIGGER student_search_insert');
    ctx.log(`  keys and indexes: ${((performance.now() - t2) / 1000).toFixed(1)} s`);
    await c.query('VACUUM (ANALYZE) students');
    await c.query('VACUUM (ANALYZE) student_search');
    const r = await c.query<{ rows: string; s: string; g: string }>(
      `SELECT (SELECT reltuples FROM pg_class WHERE oid = 'public.student_search'::regclass)::bigint AS rows,
              pg_total_relation_size('public.students') AS s, pg_total_relation_size('public.student_search') AS g`,
    );
    const row = r.rows[0]!;
    return {
      students: total,
      trigramRows: Number(row.rows),
      studentsMb: Number(row.s) / 2 ** 20,
      searchMb: Number(row.g) / 2 ** 20,
    };
  });
}

interface WriteCost {
  single: { on: number[]; off: number[] };
  bulk: { on: number[]; off: number[] };
}

/**
 * Rows/s of student inserts as the runtime role into a tenant of its own (the API's shape:
 * BEGIN, begin_request, INSERT, COMMIT): one row per transaction, and 1,000 rows per INSERT
 * (a bulk create, or an import batch). The trigger is switched off and on by the owner
 * between rounds, alternating which goes first.
 */
async function writeCost(db: ScaleDatabase, size: (typeof SIZES)['full']): Promise<WriteCost> {
  const { adminUrl, runtimeUrl, prefix } = db;
  const tenant = tenantId(prefix, size.tenants);
  await seedTenants(db.platformUrl, prefix, size.tenants, size.tenants + 1);
  const cost: WriteCost = { single: { on: [], off: [] }, bulk: { on: [], off: [] } };
  const [c] = (await connectMany(runtimeUrl, 1)) as [pg.Client];
  let n = 0;
  const insert = async (rows: number) => {
    await c.query('BEGIN');
    await c.query({ name: 'w_begin', text: 'SELECT app.begin_request($1::uuid, NULL)', values: [tenant] });
    await c.query({
      name: `w_insert_${rows}`,
      text: `INSERT INTO students (tenant_id, id, student_no, first_name, last_name, email)
             SELECT $1, gen_random_uuid(), 'W' || ($2::int + i), 'Writer', 'Number' || ($2::int + i), 'w' || ($2::int + i) || '@example.org'
               FROM generate_series(1, $3::int) AS i`,
      values: [tenant, n, rows],
    });
    await c.query('COMMIT');
    n += rows;
  };
  try {
    for (let round = 0; round < size.writeRounds; round++) {
      for (const state of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        await withClient(adminUrl, (a) =>
          a.query(`ALTER TABLE students ${state === 'on' ? 'ENABLE' : 'DISABLE'} TRIGGER student_search_insert`),
        );
        let t0 = performance.now();
        for (let i = 0; i < size.singles; i++) await insert(1);
        cost.single[state].push((size.singles * 1000) / (performance.now() - t0));
        t0 = performance.now();
        for (let i = 0; i < size.batches; i++) await insert(1000);
        cost.bulk[state].push((size.batches * 1000 * 1000) / (performance.now() - t0));
      }
    }
  } finally {
    await withClient(adminUrl, (a) => a.query('ALTER TABLE students ENABLE TRIGGER student_search_insert'));
    await c.end();
  }
  return cost;
}

async function serverVersion(c: pg.Client): Promise<string> {
  const r = await c.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
  return r.rows[0]?.v ?? '?';
}

function report(
  ctx: ScaleContext,
  size: (typeof SIZES)['full'],
  seeded: Seeded,
  latency: Map<string, number[]>,
  plans: Record<string, string>,
  checks: Check[],
  writes: WriteCost,
  version: string,
): ScaleSection {
  const p = (name: string, q: number) => percentile(latency.get(name) ?? [], q);
  const rows = TERMS.map(({ term, kind }) => [
    `\`${term}\` (${kind})`,
    `${fmt(p(`old:${term}`, 50), 2)} / ${fmt(p(`old:${term}`, 95), 2)}`,
    `${fmt(p(`new:${term}`, 50), 2)} / ${fmt(p(`new:${term}`, 95), 2)}`,
    `${fmt(ratio(p(`old:${term}`, 50), p(`new:${term}`, 50)), 1)}×`,
    String(latency.get(`new:${term}`)?.length ?? 0),
  ]);
  const targets = TERMS.map(({ term }) => ({
    name: `"${term}": new path p50 ≤ 20 ms`,
    pass: p(`new:${term}`, 50) <= 20,
    detail: `${fmt(p(`new:${term}`, 50), 2)} ms`,
  }));
  const med = (xs: number[]) => percentile(xs, 50);
  const w = (k: 'single' | 'bulk') => [
    k === 'single' ? 'create, one row per transaction' : 'bulk, 1,000 rows per INSERT',
    fmt(med(writes[k].off), 0),
    fmt(med(writes[k].on), 0),
    `${fmt(ratio(med(writes[k].on), med(writes[k].off)), 2)}×`,
  ];
  const all = [...checks, ...targets];
  const plan = (name: string) => `\`\`\`\n${plans[name] ?? ''}\n\`\`\``;
  const markdown = [
    `${size.tenants.toLocaleString('en-US')} tenants, ${seeded.students.toLocaleString('en-US')} students, the searched tenant holding ${size.big.toLocaleString('en-US')}; ` +
      `PostgreSQL ${version}${ctx.quick ? ' (quick)' : ''}. student_search: ${seeded.trigramRows.toLocaleString('en-US')} rows, ` +
      `${fmt(seeded.searchMb, 0)} MB with its indexes (students: ${fmt(seeded.studentsMb, 0)} MB). ` +
      `Each search runs as tenantry_app in \`BEGIN; SELECT app.begin_request($1, NULL); <search>; COMMIT\` as a named prepared statement, page size ${LIMIT}; ` +
      'latency is the search statement’s own round trip in ms, sampled paired (old and new alternate). Old path: ILIKE over the tenant’s students in id order ' +
      `(what Prisma’s \`contains\` sends); new path: \`studentSearchSql\` (terms of ${SEARCH_MIN_CHARS}+ characters).`,
    '',
    table(['term', 'old p50 / p95 ms', 'new p50 / p95 ms', 'old/new p50', 'samples'], rows),
    '',
    `Write cost of the trigger (runtime role, one tenant of its own, median rows/s of ${size.writeRounds} alternating rounds):`,
    '',
    table(['insert', 'trigger off rows/s', 'trigger on rows/s', 'on/off'], [w('single'), w('bulk')]),
    '',
    table(
      ['check / target', 'value', 'pass'],
      all.map((c) => [c.name, c.detail, c.pass ? 'yes' : '**NO**']),
    ),
    '',
    'EXPLAIN (ANALYZE, BUFFERS) as tenantry_app, tenant set — new path, `hopper`:',
    plan('new:hopper'),
    'new path, `nobody`:',
    plan('new:nobody'),
    'new path, `lovelace-hopper`:',
    plan('new:lovelace-hopper'),
    'old path, `nobody`:',
    plan('old:nobody'),
  ].join('\n');
  return {
    title: 'Search at scale',
    markdown,
    json: {
      checks: all.map((c) => ({ name: c.name, pass: c.pass, detail: c.detail })),
      tenants: size.tenants,
      students: seeded.students,
      bigTenant: size.big,
      postgres: version,
      seeded,
      latency: Object.fromEntries(
        [...latency].map(([k, v]) => [
          k,
          { n: v.length, p50: percentile(v, 50), p95: percentile(v, 95), p99: percentile(v, 99) },
        ]),
      ),
      writes,
      plans,
    },
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
