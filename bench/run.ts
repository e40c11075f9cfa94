import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrate } from '../src/db/migrate.js';
import { parseOptions, SCENARIO_NAMES, selected } from './lib/args.js';
import { type BenchDatabase, openDatabase, postgresVersion } from './lib/database.js';
import { type PoolMemory, PROFILE_DIR, runHttpScenarios } from './lib/http.js';
import { stopLoad } from './lib/load.js';
import { killAllChildrenSync, type ServerProcess } from './lib/processes.js';
import { profileMarkdown, stagesByScenario, stagesMarkdown } from './lib/profile.js';
import {
  consoleTables,
  machineInfo,
  markdownReport,
  poolSection,
  type ScenarioReport,
  tenantsSection,
} from './lib/report.js';
import { type BenchSection, loadSection, OPTIONAL_SECTIONS } from './lib/sections.js';

// `npm run bench`: Tenantry vs. a raw pg baseline vs. the naive Prisma pattern over HTTP, then
// the optional scenario groups (bench/rls-scale.ts, bench/provisioning.ts) when present.

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

const servers: ServerProcess[] = [];
let database: BenchDatabase | undefined;
let cleaning: Promise<void> | undefined;
let interrupted = false;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    stopLoad();
    await Promise.allSettled(servers.map((s) => s.stop()));
    await database?.stop().catch((err) => log(`stopping PostgreSQL: ${String(err)}`));
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    log(`${signal}: stopping servers and PostgreSQL`);
    void cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', killAllChildrenSync);

async function runSections(ctx: { db: BenchDatabase; quick: boolean; only: (n: string) => boolean }) {
  const sections: BenchSection[] = [];
  const failures: string[] = [];
  for (const { name, file } of OPTIONAL_SECTIONS) {
    if (!ctx.only(name)) continue;
    const mod = await loadSection(file);
    if (!mod) {
      log(`${name}: bench/${name}.ts not present, skipped`);
      continue;
    }
    const started = performance.now();
    log(`${name}: running`);
    try {
      sections.push(
        await mod.run({
          adminUrl: ctx.db.adminUrl,
          superUrl: ctx.db.superUrl,
          runtimeUrl: ctx.db.runtimeUrl,
          platformUrl: ctx.db.platformUrl,
          quick: ctx.quick,
          log: (s) => log(`${name}: ${s}`),
        }),
      );
      log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push(`${name}: ${message}`);
      sections.push({
        title: `${name} (FAILED)`,
        markdown: `Failed: ${message.split('\n')[0]}`,
        json: { error: message },
      });
    }
  }
  return { sections, failures };
}

async function main(): Promise<number> {
  const started = performance.now();
  const opts = parseOptions(process.argv.slice(2), process.env);
  const scenarioNames = SCENARIO_NAMES.filter((n) => selected(opts, n));
  database = await openDatabase({
    databaseUrl: opts.databaseUrl,
    adminUrl: opts.adminUrl,
    platformUrl: opts.platformUrl,
    log,
  });
  const db = database;
  const machine = machineInfo(await postgresVersion(db.adminUrl), opts.argv);
  log(
    `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, PostgreSQL ${machine.postgres}, load ${machine.loadAvg1m}`,
  );

  let scenarios: ScenarioReport[] = [];
  let pools: PoolMemory[] = [];
  if (scenarioNames.length) {
    ({ reports: scenarios, pools } = await runHttpScenarios({
      options: opts,
      db,
      scenarios: scenarioNames,
      track: (s) => servers.push(s),
      log,
    }));
  } else {
    await migrate(db.adminUrl, () => undefined);
  }
  const { sections, failures } = await runSections({ db, quick: opts.quick, only: (n) => selected(opts, n) });
  if (pools.length) sections.unshift(poolSection(pools, opts));
  if (opts.tenantCounts.length > 1 && scenarios.length) sections.unshift(tenantsSection(scenarios, opts));
  if (opts.profile && scenarios.length) {
    // The servers have exited (profiles are written at exit).
    sections.unshift({ title: 'Where the time goes (CPU profiles)', ...profileMarkdown(PROFILE_DIR, opts.servers) });
    const stages = stagesByScenario(
      PROFILE_DIR,
      scenarios.map((s) => ({
        name: s.name,
        windows: s.profileWindows ?? {},
        cpuUsPerReq: Object.fromEntries(opts.servers.map((n) => [n, s[n]?.cpuUsPerReq])),
      })),
      opts.servers,
    );
    sections.unshift({
      title: 'CPU per request by stage (profiled rounds)',
      markdown: stagesMarkdown(stages),
      json: stages,
    });
  }

  const settings = {
    rounds: opts.rounds,
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    connections: opts.connections,
    tenants: opts.tenants,
    tenantCounts: opts.tenantCounts,
    poolSizes: opts.poolSizes,
    studentsPerTenant: opts.studentsPerTenant,
    poolSize: opts.poolSize,
    servers: opts.servers,
  };
  const elapsedS = Math.round((performance.now() - started) / 100) / 10;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    `${RESULTS_DIR}latest.json`,
    `${JSON.stringify({ machine, settings, elapsedS, scenarios, sections }, null, 2)}\n`,
  );
  writeFileSync(`${RESULTS_DIR}latest.md`, markdownReport({ machine, settings, scenarios, sections }));

  if (scenarios.length) process.stdout.write(`\n${consoleTables(scenarios, opts.servers)}\n\n`);
  for (const s of sections) process.stdout.write(`## ${s.title}\n\n${s.markdown.trim()}\n\n`);
  log(`done in ${elapsedS} s; wrote bench/results/latest.json and latest.md`);
  for (const f of failures) log(`FAILED ${f}`);
  return failures.length ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    if (!interrupted) log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  });
