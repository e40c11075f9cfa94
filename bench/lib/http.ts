import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import type { BenchOptions, ScenarioName, ServerName } from './args.js';
import type { BenchDatabase } from './database.js';
import { freePort } from './database.js';
import { assertClean, type RunResult, runLoad } from './load.js';
import { checkParity } from './parity.js';
import { type ServerProcess, startCommand, startServer } from './processes.js';
import type { ProfileWindow } from './profile.js';
import { type ScenarioReport, type ServerSummary, scenarioReport, summarise } from './report.js';
import { SCENARIOS } from './scenarios.js';
import { PLATFORM_ADMIN, refreshTokens, seedTenants, type TenantFixture } from './seed.js';

const START = startCommand();
// Tenantry runs as `npm start` runs it: the start script's environment and node flags.
const SCRIPTS: Record<ServerName, { script: string; env?: Record<string, string>; nodeArgs?: string[] }> = {
  tenantry: { script: 'src/server.ts', env: START.env, nodeArgs: START.nodeArgs },
  raw: { script: 'bench/servers/raw.ts' },
  'raw-pipelined': { script: 'bench/servers/raw.ts', env: { RAW_PIPELINE: '1' } },
  naive: { script: 'bench/servers/naive.ts' },
};

export const PROFILE_DIR = fileURLToPath(new URL('../results/profiles/', import.meta.url));
const TOKEN_MAX_AGE_MS = 10 * 60_000;

/** One Ed25519 key per run, so a token Tenantry issued verifies on every server. */
async function runKeys() {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  return { privateJwk: JSON.stringify(jwk), publicJwk: JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }) };
}

async function startServers(
  opts: BenchOptions,
  db: BenchDatabase,
  track: (s: ServerProcess) => void,
  log: (s: string) => void,
): Promise<{ servers: Map<ServerName, ServerProcess>; envs: Record<ServerName, Record<string, string>> }> {
  const keys = await runKeys();
  if (opts.profile) for (const name of opts.servers) rmSync(`${PROFILE_DIR}${name}`, { recursive: true, force: true });
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.runtimeUrl,
    DB_POOL_SIZE: String(opts.poolSize),
    JWT_ISSUER: 'tenantry',
    JWT_AUDIENCE: 'tenantry-api',
    ACCESS_TOKEN_TTL_SECONDS: '900',
  };
  const envs: Record<ServerName, Record<string, string>> = {
    tenantry: {
      ...common,
      DATABASE_ADMIN_URL: db.adminUrl,
      DATABASE_PLATFORM_URL: db.platformUrl,
      // No drain at stop: the load is over, and the profile (--cpu-prof) is written at exit.
      SHUTDOWN_DRAIN_MS: '0',
      JWT_PRIVATE_KEY: keys.privateJwk,
      PLATFORM_ADMIN_EMAIL: PLATFORM_ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: PLATFORM_ADMIN.password,
    },
    raw: { ...common, JWT_PUBLIC_JWK: keys.publicJwk },
    'raw-pipelined': { ...common, JWT_PUBLIC_JWK: keys.publicJwk },
    naive: { ...common, JWT_PUBLIC_JWK: keys.publicJwk },
  };
  const started = performance.now();
  // Started together: the baselines only touch the database once load begins, after Tenantry migrated.
  const list = await Promise.all(
    opts.servers.map(async (name) => {
      const server = await startServer({
        name,
        script: SCRIPTS[name].script,
        port: await freePort(),
        env: { ...envs[name], ...SCRIPTS[name].env },
        // One directory per server: node writes a profile per thread (tsx's loader runs in its own).
        nodeArgs: [
          ...(SCRIPTS[name].nodeArgs ?? []),
          ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}${name}`] : []),
        ],
      });
      track(server);
      return [name, server] as const;
    }),
  );
  log(
    `servers up in ${((performance.now() - started) / 1000).toFixed(1)} s: ${list.map(([n, s]) => `${n} (pid ${s.pid})`).join(', ')}`,
  );
  return { servers: new Map(list), envs };
}

/** Round r runs the servers rotated by r, so drift and warm caches hit every server alike. */
/** The monotonic clock V8's CPU profiles use (CLOCK_MONOTONIC), in µs: the same in every process. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const rotate = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length] as T);

const fmtRun = (r: RunResult) =>
  `${Math.round(r.rps).toLocaleString('en-US').padStart(7)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  CPU ${Math.round(r.cpuUsPerReq)} µs/req`;

export interface PoolMemory {
  poolSize: number;
  /** Per scenario: requests/s of the one run at this pool size. */
  rps: Record<string, number>;
  /** RSS after the load, and the process's peak RSS (VmHWM), MB. */
  rssMb?: number;
  hwmMb?: number;
}

/**
 * One request per sending tenant before a warm-up, so that with many tenants a server's
 * per-tenant caches (verified tokens, tenant profiles) start as warm as steady traffic keeps
 * them: a few seconds of random warm-up reach only some of 1,000 tenants, and the measured
 * rounds would otherwise pay the first request of the rest.
 */
async function touchEveryTenant(server: ServerProcess, tenants: TenantFixture[]): Promise<void> {
  const queue = [...tenants];
  const worker = async () => {
    for (let f = queue.pop(); f; f = queue.pop()) {
      const res = await fetch(`${server.baseUrl}/api/v1/students?limit=1`, {
        headers: { authorization: `Bearer ${f.token}` },
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${server.name}: the first request of tenant ${f.slug} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}

/**
 * Starts the servers, seeds through Tenantry, then for every scenario and tenant count: a
 * warm-up per server, then `rounds` interleaved measured runs. Then, with --pool-sizes, Tenantry
 * alone at each pool size under the same scenarios, for its memory. Throws on the first error or
 * non-2xx.
 */
export async function runHttpScenarios(opts: {
  options: BenchOptions;
  db: BenchDatabase;
  scenarios: ScenarioName[];
  track: (s: ServerProcess) => void;
  log: (s: string) => void;
}): Promise<{ reports: ScenarioReport[]; pools: PoolMemory[] }> {
  const { options: o, log } = opts;
  const { servers, envs } = await startServers(o, opts.db, opts.track, log);
  const tenantry = servers.get('tenantry') as ServerProcess;
  const fixtures = await seedTenants({
    baseUrl: tenantry.baseUrl,
    tenants: o.tenants,
    studentsPerTenant: o.studentsPerTenant,
    log,
  });
  await checkParity([...servers.values()], fixtures);
  log('parity: every server answers list/get/create like Tenantry, and 404 across tenants');
  const load = (server: ServerProcess, name: ScenarioName, tenants: TenantFixture[], durationS: number) =>
    runLoad({
      baseUrl: server.baseUrl,
      cpuMs: server.cpuMs,
      scenario: SCENARIOS[name],
      fixtures: tenants,
      connections: o.connections,
      durationS,
    });
  const several = o.tenantCounts.length > 1;
  const reports: ScenarioReport[] = [];
  for (const name of opts.scenarios) {
    for (const count of o.tenantCounts) {
      const scenario = SCENARIOS[name];
      // The first `count` tenants send; with several counts the same database holds all of them.
      const tenants = fixtures.slice(0, count);
      const tag = several ? `${name} (${count} tenants)` : name;
      log(`scenario ${tag}: ${scenario.label}`);
      if (o.warmupS > 0) {
        await refreshTokens(tenantry.baseUrl, tenants, TOKEN_MAX_AGE_MS);
        for (const server of servers.values()) {
          if (several) await touchEveryTenant(server, tenants);
          assertClean(server.name, tag, 'warm-up', await load(server, name, tenants, o.warmupS));
        }
      }
      const runs = new Map<ServerName, RunResult[]>(o.servers.map((s) => [s, []]));
      const windows = new Map<ServerName, ProfileWindow[]>(o.servers.map((s) => [s, []]));
      for (let r = 0; r < o.rounds; r++) {
        await refreshTokens(tenantry.baseUrl, tenants, TOKEN_MAX_AGE_MS);
        for (const serverName of rotate(o.servers, r)) {
          const server = servers.get(serverName) as ServerProcess;
          const startUs = monotonicUs();
          const cpu0 = server.mainThreadCpuMs();
          const result = await load(server, name, tenants, o.durationS);
          const endUs = monotonicUs();
          const mainThreadCpuUs = (server.mainThreadCpuMs() - cpu0) * 1000;
          assertClean(serverName, tag, `round ${r + 1}`, result);
          runs.get(serverName)?.push(result);
          if (o.profile) windows.get(serverName)?.push({ startUs, endUs, requests: result.requests, mainThreadCpuUs });
          log(`  ${tag} round ${r + 1}/${o.rounds}  ${serverName.padEnd(13)} ${fmtRun(result)}`);
        }
      }
      const summaries: Partial<Record<ServerName, ServerSummary>> = {};
      for (const [serverName, server] of servers)
        summaries[serverName] = summarise(runs.get(serverName) ?? [], server.memory());
      const report = scenarioReport(tag, scenario.label, summaries);
      if (several) report.tenants = count;
      if (o.profile) report.profileWindows = Object.fromEntries(windows);
      reports.push(report);
    }
  }
  await Promise.all([...servers.values()].map((s) => s.stop()));

  const pools: PoolMemory[] = [];
  for (const poolSize of o.poolSizes) {
    // A fresh process per size, so its peak RSS is this pool's.
    const server = await startServer({
      name: `tenantry-pool-${poolSize}`,
      script: SCRIPTS.tenantry.script,
      nodeArgs: SCRIPTS.tenantry.nodeArgs,
      port: await freePort(),
      env: { ...envs.tenantry, ...SCRIPTS.tenantry.env, DB_POOL_SIZE: String(poolSize) },
    });
    opts.track(server);
    try {
      const rps: Record<string, number> = {};
      await refreshTokens(server.baseUrl, fixtures, TOKEN_MAX_AGE_MS);
      for (const name of opts.scenarios) {
        if (o.warmupS > 0) assertClean(server.name, name, 'warm-up', await load(server, name, fixtures, o.warmupS));
        const result = await load(server, name, fixtures, o.durationS);
        assertClean(server.name, name, 'pool run', result);
        rps[name] = Math.round(result.rps);
        log(`  pool ${poolSize}: ${name.padEnd(6)} ${fmtRun(result)}`);
      }
      const memory = server.memory();
      pools.push({ poolSize, rps, rssMb: memory?.rssMb, hwmMb: memory?.hwmMb });
      log(`  pool ${poolSize}: RSS ${memory?.rssMb} MB (peak ${memory?.hwmMb} MB)`);
    } finally {
      await server.stop();
    }
  }
  return { reports, pools };
}
