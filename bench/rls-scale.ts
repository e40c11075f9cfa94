/**
 * RLS at scale: a tenant-scoped list and a by-id lookup on students (1,000 tenants × 1,000
 * rows; --quick 200 × 200) as the runtime role under the real policy, against the same query
 * with an explicit tenant_id filter on a copy without RLS, and against policies written with
 * plpgsql / SECURITY DEFINER functions. The policy form is compared on two more queries that
 * have nothing but tenant_id to use an index for (an ILIKE search and a count over a column no
 * index covers): the inlined `tenant_id = app.current_tenant_id()` against
 * `tenant_id = (SELECT app.current_tenant_id())` (an InitPlan, evaluated once per statement).
 * Standalone: `npx tsx bench/rls-scale.ts [--quick]`.
 */
import type pg from 'pg';
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
import {
  describePlan,
  explainAsTenant,
  explainGenericAsTenant,
  type PlanShape,
  planShape,
  tenantQuery,
} from './lib/scale-query.js';
import { copyIndexSql, loadStudentTables, seedTenants, studentId, studentIndexes, tenantId } from './lib/scale-seed.js';
import { fmt, median, pairedSamples, ratio, summarize, table, throughputRounds } from './lib/scale-stats.js';
import {
  COPY_TABLES,
  comparisonDdl,
  expectedRows,
  KINDS,
  type Kind,
  policyDdl,
  query,
  queryValues,
  VARIANTS,
  type Variant,
} from './lib/scale-variants.js';

const SIZES = {
  quick: { tenants: 200, rows: 200, iterations: 400, budgetMs: 1_500, rounds: 3, windowMs: 500 },
  full: { tenants: 1_000, rows: 1_000, iterations: 3_000, budgetMs: 10_000, rounds: 10, windowMs: 2_000 },
};
const WORKERS = 4;
/** Throughput (the noisier, costlier measure) only for the comparison the target is about. */
const THROUGHPUT = ['rls', 'rls_copy', 'rls_select', 'rls_filter', 'plain'];
/** The queries without an index of their own only for the variants the policy-form comparison needs. */
const ALL_KINDS = ['rls', 'rls_copy', 'rls_select', 'rls_filter', 'plain'];
const kindsOf = (v: Variant): Kind[] => (ALL_KINDS.includes(v.key) ? KINDS : ['list', 'byId']);
interface Pick {
  tenant: string;
  id: string;
}

export async function run(ctx: ScaleContext): Promise<ScaleSection> {
  const size = ctx.quick ? SIZES.quick : SIZES.full;
  const db = await openScaleDatabase(ctx, 'rls');
  let clients: pg.Client[] = [];
  try {
    await seed(ctx, db, size.tenants, size.rows);
    clients = await connectMany(db.runtimeUrl, WORKERS);
    const [main] = clients as [pg.Client];
    const layout = { tenants: size.tenants, rows: size.rows };
    const draw = (): Pick => {
      const t = Math.floor(Math.random() * size.tenants);
      return {
        tenant: tenantId(db.prefix, t),
        id: studentId(layout, t, Math.floor(Math.random() * size.rows)),
      };
    };
    const probe = (v: Variant, kind: Kind) => ({
      name: `${v.key}:${kind}`,
      run: (c: pg.Client, p: Pick) =>
        tenantQuery(
          c,
          p.tenant,
          { name: `scale_${v.key}_${kind}`, text: query(v, kind) },
          queryValues(v, kind, p.tenant, p.id),
          expectedRows(kind, size.rows),
        ),
    });
    const probes = VARIANTS.flatMap((v) => kindsOf(v).map((k) => ({ v, k, ...probe(v, k) })));

    ctx.log('rls-scale: EXPLAIN (ANALYZE, BUFFERS) of every variant');
    const sample = draw();
    const plans = new Map<string, string>();
    for (const p of probes) {
      const [text, values] = [query(p.v, p.k), queryValues(p.v, p.k, sample.tenant, sample.id)];
      plans.set(p.name, await explainAsTenant(main, sample.tenant, text, values));
      if (['rls', 'rls_copy', 'rls_select'].includes(p.v.key)) {
        plans.set(`${p.name}:generic`, await explainGenericAsTenant(main, sample.tenant, text, values));
      }
    }

    ctx.log('rls-scale: warm-up, then paired per-query latency');
    await pairedSamples(
      probes.map((p) => ({ name: p.name, run: (x: Pick) => p.run(main, x) })),
      { iterations: 30, budgetMs: size.budgetMs / 10, draw },
    );
    const latency = await pairedSamples(
      probes.map((p) => ({ name: p.name, run: (x: Pick) => p.run(main, x) })),
      { iterations: size.iterations, budgetMs: size.budgetMs, draw },
    );
    ctx.log(`rls-scale: throughput, ${WORKERS} clients, ${size.rounds} rounds`);
    const fast = probes.filter((p) => THROUGHPUT.includes(p.v.key) && (p.k === 'list' || p.k === 'byId'));
    const tput = await throughputRounds(
      fast.map((p) => ({ name: p.name, run: async (c: pg.Client) => void (await p.run(c, draw())) })),
      { rounds: size.rounds, windowMs: size.windowMs, workers: clients },
    );
    return report(ctx, size, db.scratch, plans, latency, tput, await serverVersion(main));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    if (!db.scratch) await cleanup(db.adminUrl, db.platformUrl, db.prefix);
    await db.dispose();
  }
}

/**
 * public.students (through the platform login) and the copies get the same rows in the same
 * order, then freshly built copies of the same indexes. In a scratch database the real
 * table's secondary indexes are dropped for the load and rebuilt, and its primary key is
 * reindexed, so all tables start from equally compact indexes; in a shared database the real
 * table keeps its incrementally grown indexes (which can only favour the no-RLS copy).
 */
async function seed(ctx: ScaleContext, db: ScaleDatabase, tenants: number, rows: number) {
  ctx.log(
    `rls-scale: seeding ${tenants} tenants × ${rows} students into public.students and ${COPY_TABLES.length} copies`,
  );
  const defs = await withClient(db.adminUrl, async (c) => {
    await c.query(comparisonDdl());
    const defs = await studentIndexes(c);
    if (db.scratch) for (const d of defs.filter((x) => !x.primary)) await c.query(`DROP INDEX public.${d.name}`);
    return defs;
  });
  await seedTenants(db.platformUrl, db.prefix, 0, tenants);
  await loadStudentTables({
    tables: [
      { table: 'public.students', url: db.platformUrl, platform: true, layout: { tenants, rows } },
      ...COPY_TABLES.map((table) => ({ table, url: db.adminUrl, platform: false, layout: { tenants, rows } })),
    ],
    prefix: db.prefix,
    log: ctx.log,
  });
  await withClient(db.adminUrl, async (c) => {
    await c.query(`SET maintenance_work_mem = '256MB'`);
    if (db.scratch) {
      for (const d of defs) await c.query(d.primary ? `REINDEX INDEX public.${d.name}` : d.def);
    }
    for (const t of COPY_TABLES) for (const sql of copyIndexSql(defs, t)) await c.query(sql);
    await c.query(policyDdl());
    for (const t of ['public.tenants', 'public.students', ...COPY_TABLES]) await c.query(`VACUUM (ANALYZE) ${t}`);
  });
}

async function cleanup(adminUrl: string, platformUrl: string, prefix: string) {
  await withClient(adminUrl, (c) =>
    c.query('DROP SCHEMA IF EXISTS rls_bench CASCADE; DROP SCHEMA IF EXISTS app_slow CASCADE'),
  );
  await asPlatform(platformUrl, 'DELETE FROM tenants WHERE slug LIKE $1', [`bench-${prefix}-%`]);
}

async function serverVersion(c: pg.Client): Promise<string> {
  const r = await c.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
  return r.rows[0]?.v ?? '?';
}

/** Throughput windows of one round run back to back, so their ratio is the paired measure. */
function roundRatio(tput: Map<string, number[]>, kind: Kind): number {
  const rls = tput.get(`rls:${kind}`) ?? [];
  const plain = tput.get(`plain:${kind}`) ?? [];
  return median(rls.map((r, i) => ratio(plain[i] ?? 0, r)));
}

function report(
  ctx: ScaleContext,
  size: (typeof SIZES)['full'],
  scratch: boolean,
  plans: Map<string, string>,
  latency: Map<string, number[]>,
  tput: Map<string, number[]>,
  version: string,
): ScaleSection {
  const stats = (key: string, kind: Kind) => {
    const s = summarize(latency.get(`${key}:${kind}`) ?? []);
    const shape = planShape(plans.get(`${key}:${kind}`) ?? '');
    const rates = tput.get(`${key}:${kind}`);
    return { ...s, tps: rates ? median(rates) : undefined, plan: shape };
  };
  const results = VARIANTS.map((v) => ({
    key: v.key,
    label: v.label,
    list: stats(v.key, 'list'),
    byId: stats(v.key, 'byId'),
    search: kindsOf(v).includes('search') ? stats(v.key, 'search') : undefined,
    count: kindsOf(v).includes('count') ? stats(v.key, 'count') : undefined,
  }));
  const base = results.find((r) => r.key === 'plain')!;
  const rls = results.find((r) => r.key === 'rls')!;
  const ms = (n: number) => fmt(n, 3);
  const scan = describePlan;
  const rows = results.map((r) => [
    r.label,
    `${ms(r.list.p50)} / ${ms(r.list.p99)} (n=${r.list.n})`,
    `${fmt(ratio(r.list.p50, base.list.p50), 2)}×`,
    r.list.tps ? fmt(r.list.tps, 0) : '–',
    `${ms(r.byId.p50)} / ${ms(r.byId.p99)} (n=${r.byId.n})`,
    `${fmt(ratio(r.byId.p50, base.byId.p50), 2)}×`,
    r.byId.tps ? fmt(r.byId.tps, 0) : '–',
    scan(r.list.plan),
    scan(r.byId.plan),
  ]);
  const usesIndex = (p: PlanShape) => !p.seqScan && Boolean(p.index) && p.tenantInIndexCond && !p.policyFilter;
  const checks: Check[] = KINDS.map((k) => {
    const p = stats('rls', k).plan;
    return { name: `rls ${k} uses a (tenant_id, …) index`, pass: usesIndex(p), detail: scan(p) };
  });
  const generic = (key: string, kind: Kind) => planShape(plans.get(`${key}:${kind}:generic`) ?? '');
  const form = policyForms(stats, generic, usesIndex);
  const targets = [
    { name: 'list p50 RLS / no-RLS ≤ 1.2', value: ratio(rls.list.p50, base.list.p50), limit: 1.2 },
    { name: 'by-id p50 RLS / no-RLS ≤ 1.2', value: ratio(rls.byId.p50, base.byId.p50), limit: 1.2 },
    { name: 'list tx/s no-RLS / RLS ≤ 1.2 (median of per-round ratios)', value: roundRatio(tput, 'list'), limit: 1.2 },
    { name: 'by-id tx/s no-RLS / RLS ≤ 1.2 (median of per-round ratios)', value: roundRatio(tput, 'byId'), limit: 1.2 },
  ].map((t) => ({ ...t, pass: t.value <= t.limit }));
  const plan = (name: string) => `\`\`\`\n${plans.get(name) ?? ''}\n\`\`\``;
  const markdown = [
    `${size.tenants.toLocaleString('en-US')} tenants × ${size.rows.toLocaleString('en-US')} students = ${(size.tenants * size.rows).toLocaleString('en-US')} rows per table, PostgreSQL ${version}${ctx.quick ? ' (quick)' : ''}. ` +
      'Every query runs as the runtime role tenantry_app in `BEGIN; SELECT app.begin_request($1, NULL); <query>; COMMIT` with a random tenant, as a named prepared statement; ' +
      'latency is the query’s own round trip (ms, p50 / p99), sampled paired (each draw runs every variant, rotating order); tx/s is whole transactions with ' +
      `${WORKERS} concurrent clients, median of ${size.rounds} interleaved rounds. All tables hold the same rows in the same physical order ` +
      (scratch
        ? 'with the same, freshly built indexes.'
        : 'and indexes; public.students (shared database) keeps its incrementally grown indexes, which can only favour the no-RLS copy.'),
    '',
    table(
      [
        'variant',
        'list p50 / p99 ms',
        'vs no-RLS',
        'list tx/s',
        'by-id p50 / p99 ms',
        'vs no-RLS',
        'by-id tx/s',
        'list plan',
        'by-id plan',
      ],
      rows,
    ),
    '',
    table(
      ['check / target', 'value', 'pass'],
      [
        ...checks.map((c) => [c.name, c.detail, c.pass ? 'yes' : '**NO**']),
        ...targets.map((t) => [t.name, `${fmt(t.value, 2)}×`, t.pass ? 'yes' : '**NO**']),
      ],
    ),
    '',
    '### Policy form: inlined `tenant_id = app.current_tenant_id()` vs `tenant_id = (SELECT app.current_tenant_id())`',
    '',
    'Both policies on copies of the same table (same rows, order and freshly built indexes); the real table’s figure beside them. ' +
      'Plans are EXPLAIN ANALYZE for the sampled tenant, custom (parameters known) and generic (what the named prepared statements settle on).',
    '',
    'search: `(first_name ILIKE $1 OR last_name ILIKE $1 OR student_no ILIKE $1 OR email ILIKE $1) ORDER BY id LIMIT 20` ' +
      '(what the API’s `?q=` runs); count: `count(*) WHERE last_name ILIKE $1` over the whole tenant. Neither has an index of ' +
      'its own: only the policy’s tenant_id can drive one, else it is a sequential scan of all tenants’ rows.',
    '',
    form.markdown,
    '',
    form.verdict,
    '',
    'EXPLAIN (ANALYZE, BUFFERS) as tenantry_app, tenant set — list under the real policy:',
    plan('rls:list'),
    'by-id under the real policy:',
    plan('rls:byId'),
    'list under a plpgsql policy function (volatility left default):',
    plan('plpgsql:list'),
    'list under the same plpgsql function with the explicit filter added:',
    plan('plpgsql_filter:list'),
    'list under a STABLE SECURITY DEFINER policy function:',
    plan('definer_stable:list'),
    'list under the (SELECT …) policy:',
    plan('rls_select:list'),
    'count under the real policy:',
    plan('rls:count'),
    'count under the (SELECT …) policy:',
    plan('rls_select:count'),
    'count under the (SELECT …) policy, generic plan (what the prepared statement runs):',
    plan('rls_select:count:generic'),
  ].join('\n');
  return {
    title: 'RLS at scale',
    markdown,
    json: {
      checks,
      targets,
      tenants: size.tenants,
      rowsPerTenant: size.rows,
      postgres: version,
      variants: results,
      policyForm: form.json,
      plans: Object.fromEntries(plans),
    },
  };
}

type Stats = ReturnType<typeof summarize> & { tps?: number; plan: PlanShape };

/**
 * Inlined vs (SELECT …) on every kind: latency of both, their ratio, and whether each plan
 * still drives a (tenant_id, …) index. The SELECT form is worth switching to only if it is
 * faster with its index scans intact.
 */
function policyForms(
  stats: (key: string, kind: Kind) => Stats,
  generic: (key: string, kind: Kind) => PlanShape,
  usesIndex: (p: PlanShape) => boolean,
) {
  const ms = (s: Stats) => `${fmt(s.p50, 3)} / ${fmt(s.p99, 3)}`;
  const shapes = (key: string, k: Kind) => `${describePlan(stats(key, k).plan)}; ${describePlan(generic(key, k))}`;
  const rows = KINDS.map((k) => {
    const [real, inl, sel, plain] = ['rls', 'rls_copy', 'rls_select', 'plain'].map((key) => stats(key, k)) as [
      Stats,
      Stats,
      Stats,
      Stats,
    ];
    const indexed = usesIndex(sel.plan) && usesIndex(generic('rls_select', k));
    return { kind: k, real, inl, sel, plain, ratio: ratio(sel.p50, inl.p50), indexed };
  });
  const markdown = table(
    [
      'query',
      'inlined p50 / p99 ms',
      '(SELECT …) p50 / p99 ms',
      '(SELECT …) / inlined p50',
      'inlined / (SELECT …) tx/s',
      'real table (inlined) p50',
      'no RLS p50',
      'inlined plan (custom; generic)',
      '(SELECT …) plan (custom; generic)',
    ],
    rows.map((r) => [
      r.kind,
      ms(r.inl),
      ms(r.sel),
      `${fmt(r.ratio, 2)}×`,
      r.inl.tps && r.sel.tps ? `${fmt(r.inl.tps, 0)} / ${fmt(r.sel.tps, 0)}` : '–',
      fmt(r.real.p50, 3),
      fmt(r.plain.p50, 3),
      shapes('rls_copy', r.kind),
      shapes('rls_select', r.kind),
    ]),
  );
  const indexed = rows.every((r) => r.indexed);
  const faster = rows.every((r) => r.ratio < 0.95);
  const ratios = rows.map((r) => `${r.kind} ${fmt(r.ratio, 2)}×`).join(', ');
  const verdict =
    indexed && faster
      ? `The (SELECT …) form is faster on every query (p50 ratios ${ratios}) with its index scans intact: worth switching to.`
      : `Keep the inlined form: the (SELECT …) form is ${indexed ? 'index-driven too' : '**not** index-driven everywhere'}, ` +
        `and ${faster ? 'faster everywhere' : 'not faster everywhere'} (p50 ratios ${ratios}).`;
  return {
    markdown,
    verdict,
    json: rows.map((r) => ({
      kind: r.kind,
      inlinedCopy: r.inl,
      select: r.sel,
      realTable: r.real,
      ratio: r.ratio,
      selectUsesIndex: { custom: usesIndex(r.sel.plan), generic: usesIndex(generic('rls_select', r.kind)) },
      inlinedUsesIndex: { custom: usesIndex(r.inl.plan), generic: usesIndex(generic('rls_copy', r.kind)) },
    })),
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
