/**
 * Scale curve: latency of the tenant-scoped list under RLS as the tenant count grows (10,
 * 1,000, 10,000 tenants; --quick 10, 500, 2,000) with the same rows per tenant. Each point is
 * its own copy of students carrying the real policy (read back from public.students), so the
 * points can be sampled side by side. Standalone: `npx tsx bench/scale-curve.ts [--quick]`.
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
import { describePlan, explainAsTenant, planShape, tenantQuery } from './lib/scale-query.js';
import {
  copyIndexSql,
  type Layout,
  loadStudentTables,
  seedTenants,
  studentId,
  studentIndexes,
  studentPolicy,
  tenantId,
} from './lib/scale-seed.js';
import { fmt, median, pairedSamples, ratio, summarize, table, throughputRounds } from './lib/scale-stats.js';

const SIZES = {
  quick: { points: [10, 500, 2_000], rows: 50, iterations: 500, rounds: 3, windowMs: 500 },
  full: { points: [10, 1_000, 10_000], rows: 100, iterations: 3_000, rounds: 6, windowMs: 2_000 },
};
const WORKERS = 4;
const COLUMNS = 'id, student_no, first_name, last_name, email, date_of_birth, active, created_at, updated_at';

/** One table per tenant count and physical layout. */
interface Point {
  key: string;
  table: string;
  layout: Layout;
}

function pointsOf(size: (typeof SIZES)['full']): Point[] {
  return [false, true].flatMap((clustered) =>
    size.points.map((tenants) => {
      const key = `t${tenants}${clustered ? '_clustered' : ''}`;
      return { key, table: `scale_curve.students_${key}`, layout: { tenants, rows: size.rows, clustered } };
    }),
  );
}

const listSql = (p: Point) => `SELECT ${COLUMNS} FROM ${p.table} ORDER BY id LIMIT 20`;
const byIdSql = (p: Point) => `SELECT ${COLUMNS} FROM ${p.table} WHERE id = $1`;

export async function run(ctx: ScaleContext): Promise<ScaleSection> {
  const size = ctx.quick ? SIZES.quick : SIZES.full;
  const points = pointsOf(size);
  const db = await openScaleDatabase(ctx, 'curve');
  let clients: pg.Client[] = [];
  try {
    const policy = await seed(ctx, db, points);
    clients = await connectMany(db.runtimeUrl, WORKERS);
    const [main] = clients as [pg.Client];
    const expect = Math.min(20, size.rows);
    const pick = (p: Point, [u, v]: Draw) => {
      const t = Math.floor(u * p.layout.tenants);
      return { tenant: tenantId(db.prefix, t), id: studentId(p.layout, t, Math.floor(v * size.rows)) };
    };
    const probes = points.flatMap((p) => [
      {
        name: `${p.key}:list`,
        run: (c: pg.Client, d: Draw) =>
          tenantQuery(c, pick(p, d).tenant, { name: `curve_list_${p.key}`, text: listSql(p) }, [], expect),
      },
      {
        name: `${p.key}:byId`,
        run: (c: pg.Client, d: Draw) => {
          const x = pick(p, d);
          return tenantQuery(c, x.tenant, { name: `curve_byid_${p.key}`, text: byIdSql(p) }, [x.id], 1);
        },
      },
    ]);
    const draw = (): Draw => [Math.random(), Math.random()];
    const plans = new Map<string, string>();
    for (const p of points) plans.set(p.key, await explainAsTenant(main, pick(p, [0.5, 0.5]).tenant, listSql(p), []));

    ctx.log('scale-curve: paired latency');
    const asProbe = (p: (typeof probes)[number]) => ({ name: p.name, run: (x: Draw) => p.run(main, x) });
    await pairedSamples(probes.map(asProbe), { iterations: 50, budgetMs: 5_000, draw });
    const latency = await pairedSamples(probes.map(asProbe), {
      iterations: size.iterations,
      budgetMs: 60_000,
      draw,
    });
    ctx.log(`scale-curve: throughput, ${WORKERS} clients, ${size.rounds} rounds`);
    const tput = await throughputRounds(
      probes
        .filter((p) => p.name.endsWith(':list'))
        .map((p) => ({ name: p.name, run: async (c: pg.Client) => void (await p.run(c, draw())) })),
      { rounds: size.rounds, windowMs: size.windowMs, workers: clients },
    );
    return report(ctx, size, points, policy, plans, latency, tput);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    if (!db.scratch) {
      await withClient(db.adminUrl, (c) => c.query('DROP SCHEMA IF EXISTS scale_curve CASCADE'));
      await asPlatform(db.platformUrl, 'DELETE FROM tenants WHERE slug LIKE $1', [`bench-${db.prefix}-%`]);
    }
    await db.dispose();
  }
}

type Draw = [number, number];

async function seed(ctx: ScaleContext, db: ScaleDatabase, points: Point[]): Promise<string> {
  ctx.log(`scale-curve: seeding ${points.length} tables (${points.map((p) => p.key).join(', ')})`);
  const { defs, policy } = await withClient(db.adminUrl, async (c) => {
    await c.query('DROP SCHEMA IF EXISTS scale_curve CASCADE; CREATE SCHEMA scale_curve');
    for (const p of points) {
      await c.query(`CREATE TABLE ${p.table} (LIKE public.students INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    }
    return { defs: await studentIndexes(c), policy: await studentPolicy(c) };
  });
  await seedTenants(db.platformUrl, db.prefix, 0, Math.max(...points.map((p) => p.layout.tenants)));
  await loadStudentTables({
    tables: points.map((p) => ({ table: p.table, url: db.adminUrl, platform: false, layout: p.layout })),
    prefix: db.prefix,
    log: ctx.log,
  });
  await withClient(db.adminUrl, async (c) => {
    await c.query(`SET maintenance_work_mem = '256MB'`);
    for (const { table: t } of points) {
      for (const sql of copyIndexSql(defs, t)) await c.query(sql);
      await c.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
      await c.query(`CREATE POLICY tenant_isolation ON ${t} USING (${policy.qual}) WITH CHECK (${policy.check})`);
      await c.query(`VACUUM (ANALYZE) ${t}`);
    }
    await c.query('GRANT USAGE ON SCHEMA scale_curve TO tenantry_app');
    await c.query('GRANT SELECT ON ALL TABLES IN SCHEMA scale_curve TO tenantry_app');
    await c.query('VACUUM (ANALYZE) public.tenants');
  });
  return policy.qual;
}

/** Shared buffers the list's top plan node touched (hit, read), from EXPLAIN's first Buffers line. */
function buffers(plan: string): string {
  const line = /^\s*Buffers: (.*)$/m.exec(plan)?.[1] ?? '';
  const n = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(line)?.[1] ?? 0);
  return `${n('hit') + n('read')} (hit ${n('hit')}, read ${n('read')})`;
}

function report(
  ctx: ScaleContext,
  size: (typeof SIZES)['full'],
  points: Point[],
  policy: string,
  plans: Map<string, string>,
  latency: Map<string, number[]>,
  tput: Map<string, number[]>,
): ScaleSection {
  const results = points.map((p) => ({
    key: p.key,
    tenants: p.layout.tenants,
    layout: p.layout.clustered ? 'clustered' : 'interleaved',
    rows: p.layout.tenants * p.layout.rows,
    list: summarize(latency.get(`${p.key}:list`) ?? []),
    byId: summarize(latency.get(`${p.key}:byId`) ?? []),
    listTps: median(tput.get(`${p.key}:list`) ?? []),
    plan: planShape(plans.get(p.key) ?? ''),
    buffers: buffers(plans.get(p.key) ?? ''),
  }));
  const ends = (layout: string) => {
    const mine = results.filter((r) => r.layout === layout);
    return [mine[0]!, mine.at(-1)!] as const;
  };
  const ms = (n: number) => fmt(n, 3);
  const checks: Check[] = results.map((r) => ({
    name: `list at ${r.tenants} tenants (${r.layout}) uses a (tenant_id, …) index`,
    pass: !r.plan.seqScan && Boolean(r.plan.index) && r.plan.tenantInIndexCond && !r.plan.policyFilter,
    detail: describePlan(r.plan),
  }));
  const targets = ['interleaved', 'clustered'].flatMap((layout) => {
    const [first, last] = ends(layout);
    const perRound = (tput.get(`${first.key}:list`) ?? []).map((r, i) =>
      ratio(r, tput.get(`${last.key}:list`)?.[i] ?? 0),
    );
    return [
      {
        name: `${layout}: list p50 at ${last.tenants} / ${first.tenants} tenants ≤ 1.3`,
        value: ratio(last.list.p50, first.list.p50),
      },
      {
        name: `${layout}: list tx/s at ${first.tenants} / ${last.tenants} tenants ≤ 1.3 (median of per-round ratios)`,
        value: median(perRound),
      },
    ].map((t) => ({ ...t, limit: 1.3, pass: t.value <= 1.3 }));
  });
  const [, largest] = ends('interleaved');
  const markdown = [
    `${size.rows} students per tenant${ctx.quick ? ' (quick)' : ''}. One copy of students per point carrying the real policy \`${policy}\` ` +
      '(read back from public.students), indexes built after loading. *Interleaved*: rows of all tenants mixed in arrival order (the realistic layout: ' +
      'a tenant’s 20 newest rows sit on ~20 heap pages once there are more tenants than rows per page); *clustered*: each tenant’s rows together. ' +
      'As tenantry_app in `BEGIN; SELECT app.begin_request($1, NULL); <query>; COMMIT`, random tenant; latency is the query’s round trip (ms), sampled paired across all points; ' +
      `tx/s: ${WORKERS} clients, median of ${size.rounds} interleaved rounds.`,
    '',
    table(
      [
        'tenants',
        'layout',
        'rows',
        'list p50 / p99 ms',
        'list vs 1st',
        'list tx/s',
        'by-id p50 / p99 ms',
        'plan (list)',
        'buffers (list)',
      ],
      results.map((r) => [
        r.tenants.toLocaleString('en-US'),
        r.layout,
        r.rows.toLocaleString('en-US'),
        `${ms(r.list.p50)} / ${ms(r.list.p99)}`,
        `${fmt(ratio(r.list.p50, ends(r.layout)[0].list.p50), 2)}×`,
        fmt(r.listTps, 0),
        `${ms(r.byId.p50)} / ${ms(r.byId.p99)}`,
        describePlan(r.plan),
        r.buffers,
      ]),
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
    `EXPLAIN (ANALYZE, BUFFERS) of the list at ${largest.tenants.toLocaleString('en-US')} tenants (interleaved):`,
    `\`\`\`\n${plans.get(largest.key) ?? ''}\n\`\`\``,
  ].join('\n');
  return {
    title: 'Scale curve',
    markdown,
    json: { checks, targets, rowsPerTenant: size.rows, policy, points: results, plans: Object.fromEntries(plans) },
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
