import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import {
  asPlatform,
  type Check,
  connectMany,
  isMain,
  openScaleDatabase,
  runStandalone,
  type ScaleContext,
  type ScaleSection,
  withClient,
} from './lib/scale-db.js';
import { seedTenants, tenantId } from './lib/scale-seed.js';

/**
 * The cost of race-safe quotas (invariant 11): a student create as the runtime role, with the
 * quota read the unsafe way (plan and count in one statement, no lock: concurrent creates can
 * overshoot) against app.lock_quota (the tenant's settings row locked, then counted). Both in
 * the same transaction shape (BEGIN, context, quota, INSERT, COMMIT), interleaved rounds, once
 * spread over many tenants and once all on one tenant (where creates queue on the lock).
 */

const QUOTA_SQL = {
  unlocked: `SELECT s.plan, s.limits, (SELECT count(*) FROM students WHERE tenant_id = $1)::int AS used
               FROM tenant_settings s WHERE s.tenant_id = $1`,
  locked: `SELECT plan, limits, used FROM app.lock_quota($1::uuid, 'students')`,
  advisory: `SELECT plan, limits, used FROM bench_lock_quota_advisory($1::uuid)`,
} as const;

// The alternative measured against app.lock_quota: a transaction-scoped advisory lock keyed by
// the tenant instead of the settings row's tuple lock (no tuple write, but node-local).
const ADVISORY_FN = `
CREATE OR REPLACE FUNCTION bench_lock_quota_advisory(p_tenant uuid)
  RETURNS TABLE (plan text, limits jsonb, used integer)
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text, 728013));
  SELECT s.plan, s.limits INTO plan, limits FROM public.tenant_settings s WHERE s.tenant_id = p_tenant;
  used := (SELECT count(*) FROM public.students s WHERE s.tenant_id = p_tenant);
  RETURN NEXT;
END $$`;
type Variant = keyof typeof QUOTA_SQL;

const INSERT = `INSERT INTO students (tenant_id, id, student_no, first_name, last_name)
                VALUES ($1, $2, $3, 'Quota', 'Bench')`;

async function createOne(c: pg.Client, variant: Variant, tenant: string): Promise<void> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT app.begin_request($1::uuid, NULL)', [tenant]);
    await c.query(QUOTA_SQL[variant], [tenant]);
    await c.query(INSERT, [tenant, randomUUID(), `Q-${randomUUID()}`]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  }
}

async function round(clients: pg.Client[], variant: Variant, pick: () => string, ms: number): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < until) {
        await createOne(c, variant, pick());
        done++;
      }
    }),
  );
  return done / (ms / 1000);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function run(ctx: ScaleContext): Promise<ScaleSection> {
  const db = await openScaleDatabase(ctx, 'quota');
  const tenants = 50;
  const rounds = ctx.quick ? 3 : 5;
  const ms = ctx.quick ? 1500 : 4000;
  const connections = 10;
  const clients = await connectMany(db.runtimeUrl, connections);
  try {
    await withClient(db.adminUrl, async (c) => {
      await c.query(ADVISORY_FN);
      await c.query('GRANT EXECUTE ON FUNCTION bench_lock_quota_advisory(uuid) TO tenantry_app');
    });
    await seedTenants(db.platformUrl, db.prefix, 0, tenants);
    await asPlatform(
      db.platformUrl,
      `INSERT INTO tenant_settings (tenant_id, plan, limits)
       SELECT id, 'enterprise', '{}' FROM tenants WHERE slug LIKE $1`,
      [`bench-${db.prefix}-%`],
    );
    const ids = Array.from({ length: tenants }, (_, t) => tenantId(db.prefix, t));
    const shapes = {
      spread: () => ids[Math.floor(Math.random() * ids.length)]!,
      'one tenant': () => ids[0]!,
    };
    const results: Record<string, Record<Variant, number[]>> = {};
    for (const [shape, pick] of Object.entries(shapes)) {
      results[shape] = { unlocked: [], locked: [], advisory: [] };
      await round(clients, 'locked', pick, 500); // warm-up
      for (let r = 0; r < rounds; r++) {
        const variants: Variant[] = ['unlocked', 'locked', 'advisory'];
        const order = [...variants.slice(r % 3), ...variants.slice(0, r % 3)];
        for (const v of order) results[shape]![v].push(await round(clients, v, pick, ms));
        ctx.log(`${shape} round ${r + 1}/${rounds}`);
      }
    }
    const rows = Object.entries(results).map(([shape, r]) => {
      const unlocked = median(r.unlocked);
      const locked = median(r.locked);
      const advisory = median(r.advisory);
      return { shape, unlocked, locked, advisory, ratio: locked / unlocked, advisoryRatio: advisory / unlocked };
    });
    const checks: Check[] = rows.map((row) => ({
      name: `quota lock cost (${row.shape})`,
      pass: row.shape !== 'spread' || row.ratio >= 0.8,
      detail: `locked/unlocked ${row.ratio.toFixed(2)}×`,
    }));
    const markdown = [
      `Student creates as the runtime role, ${connections} connections, ${tenants} tenants, median of ${rounds} interleaved rounds × ${ms / 1000} s; each transaction is BEGIN, app.begin_request, the quota statement, INSERT, COMMIT.`,
      '',
      '| tenants written | unlocked count (unsafe) tx/s | app.lock_quota (settings row) tx/s | advisory lock tx/s | row lock / unlocked | advisory / unlocked |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.shape} | ${r.unlocked.toFixed(0)} | ${r.locked.toFixed(0)} | ${r.advisory.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${r.advisoryRatio.toFixed(2)}× |`,
      ),
    ].join('\n');
    return { title: 'Quota lock cost', markdown, json: { checks, rows, rounds, ms, connections, tenants } };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    if (!db.scratch)
      await withClient(db.adminUrl, (c) => c.query('DROP FUNCTION IF EXISTS bench_lock_quota_advisory(uuid)'));
    await db.dispose();
  }
}

if (isMain(import.meta.url)) await runStandalone(run);
