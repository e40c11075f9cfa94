/**
 * Provisioning: tenants created per second through TenantService.create (tenant, settings,
 * first admin, TenantCreated; argon2id included) and its database part alone, against a
 * schema-per-tenant baseline (CREATE SCHEMA + the same tables and indexes per tenant) in the
 * same run. Standalone: `npx tsx bench/provisioning.ts [--quick]`.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { createDbClients } from '../src/db/client.js';
import { createTransactionRunner } from '../src/db/context.js';
import { newId } from '../src/domain/ids.js';
import { hashPassword } from '../src/services/passwords.js';
import { type CreateTenantInput, createTenantService } from '../src/services/tenants.js';
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
import { instrumentRunner, schemaPerTenantDdl, verifyProvisioned } from './lib/scale-provision.js';
import { createTenantOneTrip, createTenantRaw } from './lib/scale-provision-raw.js';
import { fmt, median, ratio, summarize, table } from './lib/scale-stats.js';

const SIZES = {
  quick: { rounds: 3, database: 60, schema: 15, e2e: 16, hashes: 8, present: [10, 1000] },
  full: { rounds: 5, database: 300, schema: 60, e2e: 80, hashes: 24, present: [10, 10_000] },
};

/**
 * How many tenants (and tenant schemas) are present before each measurement: `--present 10,10000`
 * (standalone) or BENCH_PROVISIONING_PRESENT; by default 10 and 10,000 (1,000 with --quick).
 */
function presentCounts(quick: boolean): number[] {
  const at = process.argv.indexOf('--present');
  const given = (at > 0 ? process.argv[at + 1] : undefined) ?? process.env.BENCH_PROVISIONING_PRESENT;
  if (!given) return quick ? SIZES.quick.present : SIZES.full.present;
  const counts = given.split(',').map(Number);
  if (!counts.every((n) => Number.isInteger(n) && n >= 0 && n <= 100_000)) {
    throw new Error(`--present: a comma-separated list of tenant counts, got '${given}'`);
  }
  return [...counts].sort((a, b) => a - b);
}

/** Tenants in the database, counted as the platform login sees them. */
const tenantCount = (platformUrl: string) =>
  withClient(platformUrl, async (c) => {
    await c.query('BEGIN');
    await c.query('SELECT app.begin_platform(NULL)');
    const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants');
    await c.query('COMMIT');
    return r.rows[0]?.n ?? 0;
  });

/**
 * Tops the database up to `target` tenants cheaply: set-based SQL as the platform login (the
 * role TenantService writes with) for the same four rows per tenant — tenant, settings, admin,
 * TenantCreated — with one precomputed password hash. Returns how many it added.
 */
async function fillTenants(platformUrl: string, prefix: string, target: number, hash: string): Promise<number> {
  const present = await tenantCount(platformUrl);
  const missing = Math.max(0, target - present);
  for (let from = 0; from < missing; from += 5000) {
    await asPlatform(
      platformUrl,
      `WITH t AS (
         INSERT INTO tenants (id, slug, name)
         SELECT gen_random_uuid(), 'p-pre-' || $1 || '-' || ($2::int + g), 'Bench pre ' || ($2::int + g)
         FROM generate_series(1, $3::int) g RETURNING id, slug),
       s AS (INSERT INTO tenant_settings (tenant_id, plan, timezone) SELECT id, 'premium', 'UTC' FROM t),
       u AS (
         INSERT INTO users (tenant_id, id, email, name, role, password_hash)
         SELECT id, gen_random_uuid(), 'admin@' || slug || '.example.org', 'Bench Admin', 'tenant_admin', $4 FROM t
         RETURNING tenant_id, id)
       INSERT INTO domain_events (tenant_id, id, type, payload)
       SELECT tenant_id, gen_random_uuid(), 'TenantCreated', jsonb_build_object('tenantId', tenant_id, 'adminUserId', id)
       FROM u`,
      [prefix, present + from, Math.min(5000, missing - from), hash],
    );
  }
  return missing;
}

/**
 * Tops the schema-per-tenant side up to `target` tenant schemas with generated DO blocks (100
 * schemas per transaction, so the locks of the new relations fit the lock table). Returns the
 * names it created.
 */
async function fillSchemas(owner: pg.Client, prefix: string, first: number, count: number, ddl: string) {
  const statements = ddl
    .split(/;\s*\n/)
    .map((st) => st.trim().replace(/;$/, ''))
    .filter(Boolean);
  const body = statements.map((st) => `EXECUTE replace($q$${st}$q$, '{{schema}}', s);`).join('\n      ');
  const names: string[] = [];
  for (let from = first; from < first + count; from += 100) {
    const to = Math.min(first + count, from + 100);
    await owner.query(`DO $do$
    DECLARE s text;
    BEGIN
      FOR i IN ${from}..${to - 1} LOOP
        s := 't_${prefix}_pre' || i;
        EXECUTE format('CREATE SCHEMA %I', s);
      ${body}
      END LOOP;
    END $do$`);
    for (let i = from; i < to; i++) names.push(`t_${prefix}_pre${i}`);
  }
  return names;
}
const CONCURRENCY = 4;
const PASSWORD = 'correct horse battery staple';

type Path = 'database' | 'schema' | 'e2e' | 'raw' | 'oneTrip';

/** Runs `count` jobs on CONCURRENCY workers (job gets the worker's index); returns jobs/s and each job's ms. */
async function batch(
  count: number,
  job: (worker: number) => Promise<unknown>,
): Promise<{ rate: number; ms: number[]; cpuMs: number }> {
  let next = 0;
  const ms: number[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (next < count) {
        next++;
        const s = performance.now();
        await job(worker);
        ms.push(performance.now() - s);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { rate: (count * 1000) / (performance.now() - t0), ms, cpuMs: (cpu.user + cpu.system) / 1000 / count };
}

export async function run(ctx: ScaleContext): Promise<ScaleSection> {
  const size = ctx.quick ? SIZES.quick : SIZES.full;
  const db = await openScaleDatabase(ctx, 'prov');
  const clients = createDbClients({
    url: db.runtimeUrl,
    platformUrl: db.platformUrl,
    poolSize: 2 * CONCURRENCY,
    platformPoolSize: 2 * CONCURRENCY,
    statementTimeoutMs: 30_000,
  });
  const owners = await connectMany(db.adminUrl, CONCURRENCY);
  const platforms = await connectMany(db.platformUrl, CONCURRENCY);
  const schemas: string[] = [];
  try {
    const base = createTransactionRunner(clients);
    const e2eSink = { txMs: [] as number[], ops: [] as string[][] };
    const dbSink = { txMs: [] as number[], ops: [] as string[][] };
    const service = createTenantService({ db: instrumentRunner(base, e2eSink) });
    const dbRunner = instrumentRunner(base, dbSink);
    let precomputed = '';
    // The same service with the argon2id hash computed beforehand: the database part alone.
    const dbService = createTenantService({ db: dbRunner, hashPassword: async () => precomputed });
    const adminId = newId();
    const { ddl, tables, indexes } = schemaPerTenantDdl();
    let seq = 0;
    const input = (kind: string): CreateTenantInput => {
      const slug = `p-${kind}-${db.prefix}-${seq++}`;
      const admin = { email: `admin@${slug}.example.org`, password: PASSWORD, name: 'Bench Admin' };
      return { name: `Bench ${slug}`, slug, plan: 'premium', timezone: 'UTC', admin };
    };

    ctx.log('provisioning: argon2id alone');
    const hash = await hashPassword(PASSWORD);
    precomputed = hash;
    const argon = await batch(size.hashes, () => hashPassword(PASSWORD));

    const jobs: Record<Path, (worker: number) => Promise<unknown>> = {
      database: () => dbService.create(adminId, input('db')),
      e2e: () => service.create(adminId, input('e2e')),
      raw: (w) => createTenantRaw(platforms[w]!, input('raw'), hash),
      oneTrip: (w) => createTenantOneTrip(platforms[w]!, input('one'), hash),
      schema: async (w) => {
        const name = `t_${db.prefix}_${seq++}`;
        schemas.push(name);
        await owners[w]!.query(`BEGIN; CREATE SCHEMA "${name}"; ${ddl.replaceAll('{{schema}}', name)} COMMIT;`);
      },
    };
    const counts: Record<Path, number> = {
      database: size.database,
      schema: size.schema,
      e2e: size.e2e,
      raw: size.database,
      oneTrip: size.database,
    };
    const order: Path[] = ['database', 'schema', 'e2e', 'raw', 'oneTrip'];
    ctx.log('provisioning: warm-up');
    for (const p of order) await batch(CONCURRENCY, jobs[p]);
    const measure = async (label: string) => {
      const rates: Record<Path, number[]> = { database: [], schema: [], e2e: [], raw: [], oneTrip: [] };
      const perTenant: Record<Path, number[]> = { database: [], schema: [], e2e: [], raw: [], oneTrip: [] };
      const cpu: Record<Path, number[]> = { database: [], schema: [], e2e: [], raw: [], oneTrip: [] };
      for (let r = 0; r < size.rounds; r++) {
        ctx.log(`provisioning (${label}): round ${r + 1}/${size.rounds}`);
        for (let k = 0; k < order.length; k++) {
          const p = order[(r + k) % order.length]!;
          const res = await batch(counts[p], jobs[p]);
          rates[p].push(res.rate);
          perTenant[p].push(...res.ms);
          cpu[p].push(res.cpuMs);
        }
      }
      return { rates, perTenant, cpu };
    };
    const phases: { present: { tenants: number; schemas: number }; m: Awaited<ReturnType<typeof measure>> }[] = [];
    let preSchemas = 0;
    for (const target of presentCounts(ctx.quick)) {
      const t0 = performance.now();
      const added = await fillTenants(db.platformUrl, db.prefix, target, hash);
      const t1 = performance.now();
      // The rounds' own schemas count as present, like the rounds' own tenants do.
      const missing = Math.max(0, target - schemas.length);
      const made = await fillSchemas(owners[0]!, db.prefix, preSchemas, missing, ddl);
      schemas.push(...made);
      preSchemas += made.length;
      ctx.log(
        `provisioning: ${target} present: +${added} tenants in ${((t1 - t0) / 1000).toFixed(1)} s, +${made.length} schemas in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
      );
      const present = await countPresent(db.platformUrl, owners[0]!, db.prefix);
      phases.push({ present, m: await measure(`${present.tenants} tenants present`) });
    }
    const { rates, perTenant, cpu } = phases[0]!.m;
    const checks = await verifyProvisioned(
      db.platformUrl,
      owners[0]!,
      db.prefix,
      e2eSink.ops[0] ?? [],
      dbSink.ops[0] ?? [],
    );
    return report(ctx, {
      rates,
      perTenant,
      cpu,
      argon: { rate: argon.rate, ms: summarize(argon.ms) },
      e2eTx: summarize(e2eSink.txMs),
      dbTx: summarize(dbSink.txMs),
      ops: dbSink.ops[0] ?? [],
      ddl: { tables, indexes },
      checks,
      rounds: size.rounds,
      phases,
    });
  } catch (err) {
    // Logged before the clean-up: dropping the database ends the connections, which may exit first.
    ctx.log(`provisioning: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    throw err;
  } finally {
    // A scratch database is dropped whole; otherwise the schemas go in batches.
    for (let i = 0; !db.scratch && i < schemas.length; i += 100) {
      const names = schemas.slice(i, i + 100).map((s) => `"${s}"`);
      await owners[0]?.query(`DROP SCHEMA IF EXISTS ${names.join(', ')} CASCADE`);
    }
    await Promise.all([...owners, ...platforms].map((c) => c.end()));
    await clients.close();
    if (!db.scratch) await asPlatform(db.platformUrl, 'DELETE FROM tenants WHERE slug LIKE $1', [`p-%-${db.prefix}-%`]);
    await db.dispose();
  }
}

const PATH_LABELS: Record<Path, string> = {
  e2e: 'Tenantry, end to end',
  database: 'Tenantry, database part',
  schema: 'schema-per-tenant',
  raw: 'reference: raw pg, same rows',
  oneTrip: 'reference: raw pg, one round trip',
};

/** Tenants in the database and this run's tenant schemas. */
async function countPresent(platformUrl: string, owner: pg.Client, prefix: string) {
  const tenants = await tenantCount(platformUrl);
  const r = await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE $1', [
    `t\\_${prefix}\\_%`,
  ]);
  return { tenants, schemas: r.rows[0]?.n ?? 0 };
}

function report(
  ctx: ScaleContext,
  m: {
    rates: Record<Path, number[]>;
    perTenant: Record<Path, number[]>;
    cpu: Record<Path, number[]>;
    argon: { rate: number; ms: ReturnType<typeof summarize> };
    e2eTx: ReturnType<typeof summarize>;
    dbTx: ReturnType<typeof summarize>;
    ops: string[];
    ddl: { tables: number; indexes: number };
    checks: Check[];
    rounds: number;
    phases: {
      present: { tenants: number; schemas: number };
      m: { rates: Record<Path, number[]>; perTenant: Record<Path, number[]> };
    }[];
  },
): ScaleSection {
  const rate = (p: Path) => median(m.rates[p]);
  const lat = (p: Path) => summarize(m.perTenant[p]);
  // Paths of one round run back to back, so the per-round ratio is the paired measure.
  const vsSchema = (p: Path) => median(m.rates[p].map((r, i) => ratio(r, m.rates.schema[i] ?? 0)));
  const row = (p: Path, label: string, what: string) => [
    label,
    what,
    fmt(rate(p), 1),
    `${fmt(lat(p).p50, 2)} / ${fmt(lat(p).p99, 2)}`,
    fmt(median(m.cpu[p]), 2),
    `${fmt(vsSchema(p), 1)}×`,
  ];
  const targets = [
    { name: 'end to end ≥ 100 tenants/s', value: rate('e2e'), limit: 100 },
    { name: 'database part ≥ 100 tenants/s', value: rate('database'), limit: 100 },
    { name: 'end to end ≥ 20× schema-per-tenant', value: vsSchema('e2e'), limit: 20 },
    { name: 'database part ≥ 20× schema-per-tenant', value: vsSchema('database'), limit: 20 },
  ].map((t) => ({ ...t, pass: t.value >= t.limit }));
  const markdown = [
    `${CONCURRENCY} concurrent callers, median tenants/s of ${m.rounds} interleaved rounds${ctx.quick ? ' (quick)' : ''}; latency per tenant in ms (p50 / p99); ` +
      '“vs schema-per-tenant” is the median of per-round ratios; bench-process CPU is `process.cpuUsage()` per tenant (Node and its threads: Prisma, pg, argon2).',
    '',
    table(
      ['path', 'what is timed', 'tenants/s', 'ms p50 / p99', 'bench-process CPU ms', 'vs schema-per-tenant'],
      [
        row(
          'e2e',
          'Tenantry, end to end',
          'TenantService.create: argon2id hash of the admin password, then one platform-role transaction',
        ),
        row(
          'database',
          'Tenantry, database part',
          `TenantService.create with a precomputed hash (${m.ops.join(' → ')})`,
        ),
        row(
          'schema',
          'schema-per-tenant',
          `one transaction as the owner: CREATE SCHEMA + ${m.ddl.tables} tables with ${m.ddl.indexes} indexes (keys included) from the migration; no rows, grants or hashing`,
        ),
        row(
          'raw',
          'reference: raw pg, same rows',
          'what the database part writes and reads, as plain prepared statements (one round trip each) in one platform-role transaction; not what the service runs',
        ),
        row(
          'oneTrip',
          'reference: raw pg, one round trip',
          'the same rows in one data-modifying CTE, BEGIN … COMMIT sent as one simple query: the floor of this schema (one commit)',
        ),
      ],
    ),
    '',
    `Where end-to-end time goes: argon2id alone (the service's parameters) reaches ${fmt(m.argon.rate, 1)} hashes/s at ${CONCURRENCY} concurrent (${fmt(m.argon.ms.p50, 1)} ms each), ` +
      'a ceiling for the end-to-end rate on this machine whatever the database does; ' +
      `the platform transaction takes ${fmt(m.e2eTx.p50, 2)} ms (p50) inside the end-to-end runs and ${fmt(m.dbTx.p50, 2)} ms without argon2 competing for the cores.`,
    '',
    `The table above is the first measurement (${m.phases[0]?.present.tenants ?? '?'} tenants and ${m.phases[0]?.present.schemas ?? '?'} tenant schemas present). ` +
      'The same rounds with more present: set-based inserts as the platform login top the tenants up, generated DO blocks the tenant schemas (the rounds also leave their own); medians of the rounds, the change is the ratio of the medians:',
    '',
    table(
      [
        'path',
        ...m.phases.map(
          (ph) =>
            `tenants/s, ${ph.present.tenants.toLocaleString('en-US')} tenants / ${ph.present.schemas.toLocaleString('en-US')} schemas present`,
        ),
        ...m.phases.slice(1).map((ph) => `change at ${ph.present.tenants.toLocaleString('en-US')}`),
        ...m.phases.map((ph) => `ms p50 / p99 at ${ph.present.tenants.toLocaleString('en-US')}`),
      ],
      (['e2e', 'database', 'schema', 'raw', 'oneTrip'] as Path[]).map((p) => {
        const r = m.phases.map((ph) => median(ph.m.rates[p]));
        return [
          PATH_LABELS[p],
          ...r.map((v) => fmt(v, 1)),
          ...r.slice(1).map((v) => `${fmt(ratio(v, r[0] ?? 0), 2)}×`),
          ...m.phases.map((ph) => {
            const l = summarize(ph.m.perTenant[p]);
            return `${fmt(l.p50, 2)} / ${fmt(l.p99, 2)}`;
          }),
        ];
      }),
    ),
    '',
    `Tenantry vs schema-per-tenant (median of per-round ratios): ${m.phases
      .map(
        (ph) =>
          `at ${ph.present.tenants.toLocaleString('en-US')} present end to end ${fmt(median(ph.m.rates.e2e.map((r, i) => ratio(r, ph.m.rates.schema[i] ?? 0))), 1)}×, database part ${fmt(median(ph.m.rates.database.map((r, i) => ratio(r, ph.m.rates.schema[i] ?? 0))), 1)}×`,
      )
      .join('; ')}.`,
    '',
    table(
      ['check / target', 'value', 'pass'],
      [
        ...m.checks.map((c) => [c.name, c.detail, c.pass ? 'yes' : '**NO**']),
        ...targets.map((t) => [t.name, fmt(t.value, 1), t.pass ? 'yes' : '**NO**']),
      ],
    ),
  ].join('\n');
  return {
    title: 'Provisioning',
    markdown,
    json: {
      checks: m.checks,
      targets,
      concurrency: CONCURRENCY,
      tenantsPerSecond: {
        e2e: rate('e2e'),
        database: rate('database'),
        schemaPerTenant: rate('schema'),
        rawPg: rate('raw'),
        rawPgOneTrip: rate('oneTrip'),
      },
      vsSchemaPerTenant: {
        e2e: vsSchema('e2e'),
        database: vsSchema('database'),
        rawPg: vsSchema('raw'),
        rawPgOneTrip: vsSchema('oneTrip'),
      },
      rounds: m.rates,
      latencyMs: {
        e2e: lat('e2e'),
        database: lat('database'),
        schemaPerTenant: lat('schema'),
        rawPg: lat('raw'),
        rawPgOneTrip: lat('oneTrip'),
      },
      benchProcessCpuMsPerTenant: Object.fromEntries(Object.entries(m.cpu).map(([k, v]) => [k, median(v)])),
      argon2: m.argon,
      byPresent: m.phases.map((ph) => ({
        present: ph.present,
        tenantsPerSecond: Object.fromEntries(Object.entries(ph.m.rates).map(([k, v]) => [k, median(v)])),
        rounds: ph.m.rates,
        latencyMs: Object.fromEntries(Object.entries(ph.m.perTenant).map(([k, v]) => [k, summarize(v)])),
      })),
      platformTxMs: { e2e: m.e2eTx, database: m.dbTx },
      schemaDdl: m.ddl,
    },
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
