import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { ServerName } from './args.js';
import type { RunResult } from './load.js';
import type { ProfileWindow } from './profile.js';
import type { BenchSection } from './sections.js';

export interface ServerSummary {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Server CPU time per request (µs, all threads, from /proc/<pid>/stat): robust to a busy machine. */
  cpuUsPerReq: number;
  /** Server RSS (and peak RSS) at the end of the scenario. */
  rssMb?: number;
  hwmMb?: number;
  rounds: Pick<RunResult, 'rps' | 'p50Ms' | 'p99Ms' | 'cpuUsPerReq'>[];
}

export interface ScenarioReport {
  name: string;
  label: string;
  tenantry?: ServerSummary;
  raw?: ServerSummary;
  naive?: ServerSummary;
  'raw-pipelined'?: ServerSummary;
  /** Tenantry rps / raw rps (target ≥ 0.6). */
  ratioRaw: number | null;
  /** Tenantry rps / naive rps (target ≥ 2). */
  ratioNaive: number | null;
  /** Tenantry p99 / raw p99 (target ≤ 2). */
  p99RatioRaw: number | null;
  /** Tenantry CPU µs per request / raw's: the request path's cost, independent of machine load. */
  cpuRatioRaw: number | null;
  /** With several --tenants counts: how many tenants sent requests in this scenario. */
  tenants?: number;
  /** With --profile: each server's measured rounds on the monotonic clock, to cut its CPU profile. */
  profileWindows?: Partial<Record<ServerName, ProfileWindow[]>>;
}

export const TARGETS = { ratioRaw: 0.6, ratioNaive: 2, p99RatioRaw: 2 };

export interface Machine {
  cpus: number;
  cpuModel: string;
  memGb: number;
  freeMemGb: number;
  loadAvg1m: number;
  node: string;
  postgres: string;
  date: string;
  command: string;
}

export function machineInfo(postgres: string, argv: string[]): Machine {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemGb: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAvg1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    node: process.version,
    postgres,
    date: new Date().toISOString(),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function summarise(runs: RunResult[], memory?: { rssMb: number; hwmMb: number }): ServerSummary {
  return {
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50Ms: round(median(runs.map((r) => r.p50Ms)), 1),
    p99Ms: round(median(runs.map((r) => r.p99Ms)), 1),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    cpuUsPerReq: Math.round(median(runs.map((r) => r.cpuUsPerReq))),
    rssMb: memory?.rssMb,
    hwmMb: memory?.hwmMb,
    rounds: runs.map((r) => ({
      rps: Math.round(r.rps),
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      cpuUsPerReq: Math.round(r.cpuUsPerReq),
    })),
  };
}

export function scenarioReport(
  name: string,
  label: string,
  servers: Partial<Record<ServerName, ServerSummary>>,
): ScenarioReport {
  const t = servers.tenantry;
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? round(a / b) : null);
  return {
    name,
    label,
    ...servers,
    ratioRaw: ratio(t?.rps, servers.raw?.rps),
    ratioNaive: ratio(t?.rps, servers.naive?.rps),
    p99RatioRaw: ratio(t?.p99Ms, servers.raw?.p99Ms),
    cpuRatioRaw: ratio(t?.cpuUsPerReq, servers.raw?.cpuUsPerReq),
  };
}

const mark = (value: number | null, ok: (v: number) => boolean) => (value === null ? '' : ok(value) ? ' ✓' : ' ✗');
const fmtRatio = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);

function rows(s: ScenarioReport, servers: ServerName[]): string[][] {
  return servers.flatMap((name) => {
    const v = s[name];
    if (!v) return [];
    return [
      [
        s.name,
        name,
        v.rps.toLocaleString('en-US'),
        v.p50Ms.toFixed(1),
        v.p99Ms.toFixed(1),
        String(v.errors),
        Number.isFinite(v.cpuUsPerReq) ? v.cpuUsPerReq.toLocaleString('en-US') : '–',
        v.rssMb === undefined ? '–' : `${v.rssMb} (peak ${v.hwmMb})`,
      ],
    ];
  });
}

function ratioCells(s: ScenarioReport): string[] {
  return [
    s.name,
    `${fmtRatio(s.ratioRaw)}${mark(s.ratioRaw, (v) => v >= TARGETS.ratioRaw)}`,
    `${fmtRatio(s.ratioNaive)}${mark(s.ratioNaive, (v) => v >= TARGETS.ratioNaive)}`,
    `${fmtRatio(s.p99RatioRaw)}${mark(s.p99RatioRaw, (v) => v <= TARGETS.p99RatioRaw)}`,
    fmtRatio(s.cpuRatioRaw),
  ];
}

const MAIN_HEAD = ['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req', 'RSS MB'];
const RATIO_HEAD = [
  'scenario',
  `Tenantry/raw req/s (≥ ${TARGETS.ratioRaw})`,
  `Tenantry/naive req/s (≥ ${TARGETS.ratioNaive})`,
  `Tenantry/raw p99 (≤ ${TARGETS.p99RatioRaw})`,
  'Tenantry/raw CPU per request',
];

function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function mdTable(head: string[], body: string[][], textCols: number): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i < textCols ? '---' : '---:'))), ...body.map(line)].join('\n');
}

export function consoleTables(scenarios: ScenarioReport[], servers: ServerName[]): string {
  return `${textTable(
    MAIN_HEAD,
    scenarios.flatMap((s) => rows(s, servers)),
  )}\n\n${textTable(RATIO_HEAD, scenarios.map(ratioCells))}`;
}

export interface Settings {
  rounds: number;
  durationS: number;
  connections: number;
  tenants: number;
  studentsPerTenant: number;
  poolSize: number;
  servers: ServerName[];
}

export function markdownReport(opts: {
  machine: Machine;
  settings: Settings;
  scenarios: ScenarioReport[];
  sections: BenchSection[];
}): string {
  const { machine: m, settings: s } = opts;
  const parts = [
    '# Tenantry benchmark',
    '',
    `${m.date} · ${m.cpus} × ${m.cpuModel} · ${m.memGb} GB · Node ${m.node} · PostgreSQL ${m.postgres} · load average at start ${m.loadAvg1m}`,
    '',
    `Command: \`${m.command}\``,
    '',
  ];
  if (opts.scenarios.length) {
    parts.push(
      '## HTTP: Tenantry vs. raw pg vs. naive Prisma',
      '',
      `Medians of ${s.rounds} rounds × ${s.durationS} s, ${s.connections} connections, pool ${s.poolSize} per server, ` +
        `${s.tenants} tenants × ${s.studentsPerTenant} students, every request a random tenant's token.`,
      '',
      mdTable(
        MAIN_HEAD,
        opts.scenarios.flatMap((sc) => rows(sc, s.servers)),
        2,
      ),
      '',
      mdTable(RATIO_HEAD, opts.scenarios.map(ratioCells), 1),
      '',
    );
  }
  for (const section of opts.sections) parts.push(`## ${section.title}`, '', section.markdown.trim(), '');
  return parts.join('\n');
}

const fmtMb = (v: number | undefined) => (v === undefined ? '–' : String(v));

/** Tenantry's RSS per pool size, and what each extra pooled connection costs. */
export function poolSection(
  pools: { poolSize: number; rps: Record<string, number>; rssMb?: number; hwmMb?: number }[],
  o: { durationS: number; warmupS: number; connections: number; tenants: number },
): BenchSection {
  const names = Object.keys(pools[0]?.rps ?? {});
  const sorted = [...pools].sort((a, b) => a.poolSize - b.poolSize);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  const perConnection = (key: 'rssMb' | 'hwmMb') =>
    lo && hi && hi.poolSize > lo.poolSize && lo[key] !== undefined && hi[key] !== undefined
      ? round(((hi[key] as number) - (lo[key] as number)) / (hi.poolSize - lo.poolSize), 1)
      : null;
  const markdown = [
    `Tenantry alone, a fresh process per pool size (\`DB_POOL_SIZE\`), each scenario once: ${o.warmupS} s warm-up + ${o.durationS} s at ${o.connections} connections over ${o.tenants} tenants. ` +
      'RSS after the last scenario and the peak (VmHWM) over the process life; one run each, so a few MB is noise.',
    '',
    `| pool | ${names.map((n) => `${n} req/s`).join(' | ')} | RSS MB | peak MB |`,
    `| ---: | ${names.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...sorted.map(
      (p) =>
        `| ${p.poolSize} | ${names.map((n) => (p.rps[n] ?? 0).toLocaleString('en-US')).join(' | ')} | ${fmtMb(p.rssMb)} | ${fmtMb(p.hwmMb)} |`,
    ),
    '',
    lo && hi && hi !== lo
      ? `Per extra pooled connection (${lo.poolSize} → ${hi.poolSize}): ${perConnection('rssMb') ?? '–'} MB RSS, ${perConnection('hwmMb') ?? '–'} MB peak.`
      : '',
  ].join('\n');
  return {
    title: 'Server memory by pool size',
    markdown,
    json: { pools: sorted, mbPerConnection: { rss: perConnection('rssMb'), peak: perConnection('hwmMb') } },
  };
}

/** The same scenario at several tenant counts, side by side: requests/s and the ratio to the fewest. */
export function tenantsSection(
  scenarios: ScenarioReport[],
  o: { tenantCounts: number[]; servers: ServerName[] },
): BenchSection {
  const counts = [...o.tenantCounts].sort((a, b) => a - b);
  const base = counts[0] as number;
  const byName = new Map<string, Map<number, ScenarioReport>>();
  for (const s of scenarios) {
    if (s.tenants === undefined) continue;
    const key = s.name.replace(/ \(\d+ tenants\)$/, '');
    if (!byName.has(key)) byName.set(key, new Map());
    byName.get(key)?.set(s.tenants, s);
  }
  const rowsOut: string[] = [];
  const json: Record<string, unknown>[] = [];
  for (const [name, at] of byName) {
    for (const server of o.servers) {
      const rps = counts.map((c) => at.get(c)?.[server]?.rps);
      const p99 = counts.map((c) => at.get(c)?.[server]?.p99Ms);
      const ratios = rps.slice(1).map((v) => (v !== undefined && rps[0] ? round(v / rps[0]) : null));
      rowsOut.push(
        `| ${name} | ${server} | ${rps.map((v) => (v === undefined ? '–' : v.toLocaleString('en-US'))).join(' | ')} | ${p99.map((v) => (v === undefined ? '–' : v.toFixed(1))).join(' | ')} | ${ratios.map(fmtRatio).join(' | ')} |`,
      );
      json.push({ scenario: name, server, counts, rps, p99Ms: p99, ratioToFewest: ratios });
    }
  }
  const more = counts.slice(1);
  const markdown = [
    `The same scenarios with each request a random tenant's token among the first N of the seeded tenants (one database holding all ${counts[counts.length - 1]}), ` +
      'rounds interleaved as above; medians of the rounds.',
    '',
    `| scenario | server | ${counts.map((c) => `req/s ×${c}`).join(' | ')} | ${counts.map((c) => `p99 ms ×${c}`).join(' | ')} | ${more.map((c) => `${c}/${base} req/s`).join(' | ')} |`,
    `| --- | --- | ${[...counts, ...counts, ...more].map(() => '---:').join(' | ')} |`,
    ...rowsOut,
  ].join('\n');
  return { title: `Many tenants at once (${counts.join(' vs ')} tenants)`, markdown, json };
}
