import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  asPlatform,
  type Check,
  isMain,
  openScaleDatabase,
  runStandalone,
  type ScaleContext,
  type ScaleSection,
  withClient,
} from './lib/scale-db.js';
import { seedTenants } from './lib/scale-seed.js';

const exec = promisify(execFile);

/**
 * What the tenant context costs the database: pgbench as the runtime login, each transaction
 * BEGIN, the context, a by-id read of the tenant's settings, COMMIT, pipelined (one round trip,
 * as the transaction runner sends them). Variants are the shipped app.begin_request and the
 * candidates measured against it; every variant but "none" and "bare" refuses an unknown or
 * inactive tenant and an unknown or inactive user, transaction-locally, and sets nothing but
 * with is_local (Citus-compatible SET LOCAL semantics).
 */

const CANDIDATES = `
CREATE SCHEMA bench_ctx;
GRANT USAGE ON SCHEMA bench_ctx TO tenantry_app;

-- The failure path only: a SQL function cannot RAISE with an SQLSTATE of its own.
CREATE FUNCTION bench_ctx.refuse(p_code text, p_message text) RETURNS text
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION '%', p_message USING ERRCODE = p_code;
END $$;

-- plpgsql as shipped, but set_config(..., true) for the two EXECUTE format('SET LOCAL …') and
-- one statement for both lookups.
CREATE FUNCTION bench_ctx.setconfig(p_tenant uuid, p_user uuid, p_role text, p_issued_at timestamptz) RETURNS text
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_status text;
  v_user boolean;
BEGIN
  IF p_tenant IS NULL THEN
    RAISE EXCEPTION 'tenant context requires a tenant id' USING ERRCODE = 'TN400';
  END IF;
  PERFORM pg_catalog.set_config('app.current_tenant_id', p_tenant::text, true),
          pg_catalog.set_config('app.current_user_id', coalesce(p_user::text, ''), true);
  SELECT t.status,
         p_user IS NULL OR EXISTS (SELECT 1 FROM public.users u
                                    WHERE u.tenant_id = p_tenant AND u.id = p_user AND u.active
                                      AND (p_role IS NULL OR u.role = p_role)
                                      AND (p_issued_at IS NULL OR u.tokens_valid_from IS NULL
                                           OR p_issued_at >= u.tokens_valid_from))
    INTO v_status, v_user
    FROM public.tenants t WHERE t.id = p_tenant;
  IF v_status IS NULL OR v_status = 'deleted' THEN
    RAISE EXCEPTION 'unknown tenant' USING ERRCODE = 'TN404';
  ELSIF v_status <> 'active' THEN
    RAISE EXCEPTION 'tenant is %', v_status USING ERRCODE = 'TN403';
  ELSIF NOT v_user THEN
    RAISE EXCEPTION 'unknown user' USING ERRCODE = 'TN401';
  END IF;
  RETURN v_status;
END $$;

-- The same without the function's SET search_path clause (every name qualified instead): the
-- clause saves and restores a GUC on every call.
CREATE FUNCTION bench_ctx.setconfig_nopath(p_tenant uuid, p_user uuid, p_role text, p_issued_at timestamptz) RETURNS text
  LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_status text;
  v_user boolean;
BEGIN
  IF p_tenant IS NULL THEN
    RAISE EXCEPTION 'tenant context requires a tenant id' USING ERRCODE = 'TN400';
  END IF;
  PERFORM pg_catalog.set_config('app.current_tenant_id', p_tenant::text, true),
          pg_catalog.set_config('app.current_user_id', coalesce(p_user::text, ''), true);
  SELECT t.status,
         p_user IS NULL OR EXISTS (SELECT 1 FROM public.users u
                                    WHERE u.tenant_id = p_tenant AND u.id = p_user AND u.active
                                      AND (p_role IS NULL OR u.role = p_role)
                                      AND (p_issued_at IS NULL OR u.tokens_valid_from IS NULL
                                           OR p_issued_at >= u.tokens_valid_from))
    INTO v_status, v_user
    FROM public.tenants t WHERE t.id = p_tenant;
  IF v_status IS NULL OR v_status = 'deleted' THEN
    RAISE EXCEPTION 'unknown tenant' USING ERRCODE = 'TN404';
  ELSIF v_status OPERATOR(pg_catalog.<>) 'active' THEN
    RAISE EXCEPTION 'tenant is %', v_status USING ERRCODE = 'TN403';
  ELSIF NOT v_user THEN
    RAISE EXCEPTION 'unknown user' USING ERRCODE = 'TN401';
  END IF;
  RETURN v_status;
END $$;

-- A plain SQL check sent after set_config in the same pipeline: an inlinable expression, the
-- refusal through bench_ctx.refuse only when something is wrong.
CREATE FUNCTION bench_ctx.check_request(p_tenant uuid, p_user uuid, p_role text, p_issued_at timestamptz) RETURNS text
  LANGUAGE sql VOLATILE AS $$
  SELECT CASE
    WHEN s.status IS NULL OR s.status OPERATOR(pg_catalog.=) 'deleted' THEN bench_ctx.refuse('TN404', 'unknown tenant')
    WHEN s.status OPERATOR(pg_catalog.<>) 'active' THEN bench_ctx.refuse('TN403', 'tenant is ' OPERATOR(pg_catalog.||) s.status)
    WHEN NOT s.user_ok THEN bench_ctx.refuse('TN401', 'unknown user')
    ELSE s.status END
  FROM (SELECT (SELECT t.status FROM public.tenants t WHERE t.id OPERATOR(pg_catalog.=) p_tenant) AS status,
               p_user IS NULL OR EXISTS (SELECT 1 FROM public.users u
                                          WHERE u.tenant_id OPERATOR(pg_catalog.=) p_tenant
                                            AND u.id OPERATOR(pg_catalog.=) p_user AND u.active
                                            AND (p_role IS NULL OR u.role OPERATOR(pg_catalog.=) p_role)
                                            AND (p_issued_at IS NULL OR u.tokens_valid_from IS NULL
                                                 OR p_issued_at OPERATOR(pg_catalog.>=) u.tokens_valid_from)) AS user_ok) s
$$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench_ctx TO tenantry_app;
`;

const TENANT = `(:prefix::text || '-0000-7000-8000-' || lpad(to_hex(:n::int), 12, '0'))::uuid`;
const SET_CONFIG = `SELECT set_config('app.current_tenant_id', ${TENANT}::text, true), set_config('app.current_user_id', ${TENANT}::text, true);`;

/** The context statements of each variant (the user id equals the tenant id in this fixture). */
const VARIANTS: Record<string, { context: string[]; note: string }> = {
  none: { context: [], note: 'BEGIN, read, COMMIT: no context (the read finds nothing under RLS)' },
  bare: { context: [SET_CONFIG], note: 'set_config(…, true) ×2 (= SET LOCAL), no checks' },
  shipped: {
    context: [`SELECT app.begin_request(${TENANT}, ${TENANT}, 'staff', now());`],
    note: 'app.begin_request as shipped (plpgsql, EXECUTE format(SET LOCAL) ×2, two lookups)',
  },
  setconfig: {
    context: [`SELECT bench_ctx.setconfig(${TENANT}, ${TENANT}, 'staff', now());`],
    note: 'plpgsql, set_config ×2, one lookup statement, SET search_path clause',
  },
  'setconfig, no SET clause': {
    context: [`SELECT bench_ctx.setconfig_nopath(${TENANT}, ${TENANT}, 'staff', now());`],
    note: 'same, names qualified instead of the SET search_path clause',
  },
  'set_config + SQL check': {
    context: [SET_CONFIG, `SELECT bench_ctx.check_request(${TENANT}, ${TENANT}, 'staff', now());`],
    note: 'set_config ×2, then an inlinable SQL check in the same pipeline',
  },
};

const READ = `SELECT plan FROM tenant_settings WHERE tenant_id = ${TENANT};`;

function script(context: string[]): string {
  return ['\\set n random(0, :tenants - 1)', '\\startpipeline', 'BEGIN;', ...context, READ, 'COMMIT;', '\\endpipeline']
    .map((l) => `${l}\n`)
    .join('');
}

async function pgbenchTps(url: string, file: string, vars: Record<string, string>, clients: number, secs: number) {
  const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(secs), '-f', file];
  for (const [k, v] of Object.entries(vars)) args.push('-D', `${k}=${v}`);
  const { stdout } = await exec('pgbench', [...args, url], { maxBuffer: 1 << 20 });
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!m) throw new Error(`unexpected pgbench output:\n${stdout}`);
  return Number(m[1]);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function run(ctx: ScaleContext): Promise<ScaleSection> {
  const title = 'The tenant context: what the database pays per transaction';
  try {
    await exec('pgbench', ['--version']);
  } catch {
    const detail = 'pgbench not installed (Debian: postgresql-client); section skipped';
    ctx.log(detail);
    return { title, markdown: detail, json: { checks: [{ name: 'pgbench present', pass: true, detail }] } };
  }
  const tenants = 50;
  const clients = 8;
  const rounds = ctx.quick ? 3 : 7;
  const secs = ctx.quick ? 2 : 4;
  const db = await openScaleDatabase(ctx, 'ctx');
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-ctx-'));
  try {
    await withClient(db.adminUrl, (c) => c.query(CANDIDATES));
    await seedTenants(db.platformUrl, db.prefix, 0, tenants);
    await asPlatform(
      db.platformUrl,
      `INSERT INTO users (tenant_id, id, email, name, role, password_hash)
       SELECT id, id, 'bench@example.org', 'Bench', 'staff', 'x' FROM tenants WHERE slug LIKE $1`,
      [`bench-${db.prefix}-%`],
    );
    await asPlatform(
      db.platformUrl,
      `INSERT INTO tenant_settings (tenant_id, plan, limits)
       SELECT id, 'enterprise', '{}' FROM tenants WHERE slug LIKE $1 ON CONFLICT DO NOTHING`,
      [`bench-${db.prefix}-%`],
    );
    const names = Object.keys(VARIANTS);
    const files = Object.fromEntries(
      names.map((name, i) => {
        const file = join(dir, `v${i}.sql`);
        writeFileSync(file, script(VARIANTS[name]!.context));
        return [name, file];
      }),
    );
    const vars = { prefix: db.prefix, tenants: String(tenants) };
    // The refusals hold for every checking variant: a wrong tenant is refused, not set.
    await withClient(db.runtimeUrl, async (c) => {
      for (const fn of ['app.begin_request', 'bench_ctx.setconfig', 'bench_ctx.setconfig_nopath']) {
        await c.query('BEGIN');
        const refused = await c
          .query(`SELECT ${fn}(gen_random_uuid(), NULL, NULL, NULL)`)
          .then(() => false)
          .catch((e: { code?: string }) => e.code === 'TN404');
        await c.query('ROLLBACK');
        if (!refused) throw new Error(`${fn} accepted an unknown tenant`);
      }
    });
    const tps: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const name of names) await pgbenchTps(db.runtimeUrl, files[name]!, vars, clients, 1); // warm-up
    for (let r = 0; r < rounds; r++) {
      const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
      for (const name of order) tps[name]!.push(await pgbenchTps(db.runtimeUrl, files[name]!, vars, clients, secs));
      ctx.log(`context round ${r + 1}/${rounds}`);
    }
    const base = median(tps.none!);
    const bare = median(tps.bare!);
    const rows = names.map((name) => {
      const m = median(tps[name]!);
      return { name, note: VARIANTS[name]!.note, tps: m, vsNone: m / base, vsBare: m / bare, samples: tps[name] };
    });
    const markdown = [
      `pgbench as the runtime login, -M prepared, ${clients} clients, ${tenants} tenants (one user each), each transaction pipelined: BEGIN, the context, a read of the tenant's settings row, COMMIT. Median of ${rounds} interleaved rounds × ${secs} s.`,
      '',
      '| variant | what it does | tx/s | vs none | vs bare SET LOCAL |',
      '| --- | --- | ---: | ---: | ---: |',
      ...rows.map(
        (r) => `| ${r.name} | ${r.note} | ${r.tps.toFixed(0)} | ${r.vsNone.toFixed(2)}× | ${r.vsBare.toFixed(2)}× |`,
      ),
    ].join('\n');
    const checks: Check[] = [
      { name: 'every checking variant refuses an unknown tenant', pass: true, detail: 'TN404 from each' },
    ];
    return { title, markdown, json: { checks, rows, rounds, secs, clients, tenants } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (!db.scratch) await withClient(db.adminUrl, (c) => c.query('DROP SCHEMA IF EXISTS bench_ctx CASCADE'));
    await db.dispose();
  }
}

if (isMain(import.meta.url)) await runStandalone(run);
