import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock, the one process.hrtime() reads in every process. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Who owns a frame: a package, a layer of src/, node itself, or V8 (GC, program). */
function owner(frame: ProfileNode['callFrame']): string {
  if (SPECIAL.has(frame.functionName) && !frame.url) return frame.functionName;
  const url = frame.url;
  if (!url) return '(native/anonymous)';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/generated/prisma/')) return 'prisma generated client';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return pkg;
  const local = /\/(src|bench)\/([^/]+)/.exec(url);
  if (local) return `${local[1]}/${local[2]}`;
  return url.replace(/^file:\/\//, '');
}

export interface ProfileSummary {
  server: string;
  busyMs: number;
  byOwner: { owner: string; ms: number; pct: number }[];
  /** Time with the owner anywhere on the stack (a package's cost including what it calls). */
  inclusiveByOwner: { owner: string; ms: number; pct: number }[];
  topFunctions: { fn: string; ms: number; pct: number }[];
}

/** Self time per owner and per function, as a share of the process's busy (non-idle) time. */
export function summariseProfile(server: string, file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owners = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node || node.callFrame.functionName === '(idle)') return;
    busy += dt;
    const who = owner(node.callFrame);
    owners.set(who, (owners.get(who) ?? 0) + dt);
    const where = node.callFrame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
    const onStack = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame?.url && !frame.url.startsWith('node:')) onStack.add(owner(frame));
    }
    for (const o of onStack) inclusive.set(o, (inclusive.get(o) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, ms]) => ({ k, ms: Math.round(ms), pct: Math.round((ms / busy) * 1000) / 10 }));
  return {
    server,
    busyMs: Math.round(busy),
    byOwner: top(owners, 14).map(({ k, ms, pct }) => ({ owner: k, ms, pct })),
    inclusiveByOwner: top(inclusive, 14).map(({ k, ms, pct }) => ({ owner: k, ms, pct })),
    topFunctions: top(fns, 15).map(({ k, ms, pct }) => ({ fn: k, ms, pct })),
  };
}

/** The main thread's profile: the largest of the process's per-thread files. */
function mainThreadProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

export function profileMarkdown(dir: string, servers: string[]): { markdown: string; json: ProfileSummary[] } {
  const summaries = servers.flatMap((server) => {
    const file = mainThreadProfile(join(dir, server));
    return file ? [summariseProfile(server, file)] : [];
  });
  const parts = [
    `CPU profiles (node --cpu-prof, whole process life incl. start-up and seeding) in \`bench/results/profiles/<server>/\` (the largest file is the main thread); open them in Chrome DevTools or speedscope. Shares are of the busy (non-idle) time of the main thread:`,
    '',
  ];
  const table = (head: string, rows: { name: string; ms: number; pct: number }[]) => [
    `| ${head} | ms | % |`,
    '| --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.name} | ${r.ms} | ${r.pct} |`),
    '',
  ];
  for (const s of summaries) {
    parts.push(
      `**${s.server}** — busy ${(s.busyMs / 1000).toFixed(1)} s`,
      '',
      ...table(
        'self time by owner',
        s.byOwner.map((o) => ({ name: o.owner, ms: o.ms, pct: o.pct })),
      ),
      ...table(
        'inclusive time by owner (anywhere on the stack)',
        s.inclusiveByOwner.map((o) => ({ name: o.owner, ms: o.ms, pct: o.pct })),
      ),
      ...table(
        'top functions, self time',
        s.topFunctions.map((f) => ({ name: `\`${f.fn}\``, ms: f.ms, pct: f.pct })),
      ),
    );
  }
  return { markdown: parts.join('\n'), json: summaries };
}

// ---------------------------------------------------------------------------------------------
// Stages: CPU time per request split by what the request path is doing.

export const STAGES = [
  'token',
  'context',
  'rate limit',
  'validation',
  'Prisma/SQL',
  'serialisation',
  'logging/metrics',
  'other',
  'node internals/GC',
] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABELS: Record<Stage, string> = {
  token: 'token verification (jose, token cache)',
  context: 'context/transaction (BEGIN + app.begin_request + COMMIT, pool)',
  'rate limit': 'rate limit',
  validation: 'validation (zod)',
  'Prisma/SQL': 'Prisma/SQL (query building, driver, row mapping)',
  serialisation: 'serialisation (JSON)',
  'logging/metrics': 'logging/metrics (pino, prom-client)',
  other: 'other (HTTP server, routing, handlers)',
  'node internals/GC': 'node internals/GC (no package frame on the stack)',
};

const PACKAGE_STAGES: [RegExp, Stage][] = [
  [/^jose$/, 'token'],
  [/^rate-limiter-flexible$/, 'rate limit'],
  [/^(zod|@hono\/zod-openapi|@hono\/zod-validator)$/, 'validation'],
  [/^pg-pool$/, 'context'],
  [/^(@prisma\/.*|pg|pg-.*|postgres-.*)$/, 'Prisma/SQL'],
  [
    /^(pino|pino-.*|@pinojs\/.*|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|prom-client|tdigest|bintrees)$/,
    'logging/metrics',
  ],
];

/** Tenantry's own files that belong to a stage (paths below src/). */
const SOURCE_STAGES: [RegExp, Stage][] = [
  [/^(services\/tokens|services\/tenant-keys|http\/middleware\/auth)\.ts$/, 'token'],
  [/^db\/(context|pinned-clients)\.ts$/, 'context'],
  [/^services\/rate-limit\.ts$/, 'rate limit'],
  [/^(generated\/prisma\/|db\/repositories\/|db\/sql-statements\.ts$)/, 'Prisma/SQL'],
  [/^(runtime\/logger|http\/metrics|http\/top-tenants|http\/middleware\/request)\.ts$/, 'logging/metrics'],
];

/**
 * The stage a frame belongs to; 'neutral' for frames that only say who was called (node's own
 * JavaScript, V8 builtins without a script), which take the stage of their caller.
 */
export function frameStage(frame: ProfileNode['callFrame']): Stage | 'neutral' {
  const { url, functionName } = frame;
  if (!url) {
    if (SPECIAL.has(functionName)) return 'node internals/GC';
    // V8's JSON builtins show up as frames of their own, without a script.
    if (functionName === 'stringify' || functionName === 'parse') return 'serialisation';
    return 'neutral';
  }
  if (url.startsWith('node:')) return 'neutral';
  // The only WebAssembly in the process is Prisma's query compiler.
  if (url.startsWith('wasm://')) return 'Prisma/SQL';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    for (const [re, stage] of PACKAGE_STAGES) if (re.test(pkg)) return stage;
    return 'other';
  }
  const source = /\/src\/(.+)$/.exec(url)?.[1];
  if (source) for (const [re, stage] of SOURCE_STAGES) if (re.test(source)) return stage;
  return 'other';
}

/**
 * A sample's stage, from its stack (innermost frame first): the innermost frame that is not
 * neutral decides. Driver frames (pg) called from the context code count as context, so the
 * driver's share of BEGIN/COMMIT is not booked as query time. A stack of neutral frames only
 * is node internals.
 */
export function stackStage(frames: ProfileNode['callFrame'][]): Stage {
  return stackOwner(frames).stage;
}

const DRIVER = /\/node_modules\/pg(-protocol)?\//;

/** The stage of a stack and the frame that decided it (undefined for a stack of neutral frames). */
function stackOwner(frames: ProfileNode['callFrame'][]): { stage: Stage; frame?: ProfileNode['callFrame'] } {
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as ProfileNode['callFrame'];
    const stage = frameStage(frame);
    if (stage === 'neutral') continue;
    if (DRIVER.test(frame.url)) {
      // The driver's caller: the context code (BEGIN, the context function, COMMIT) or a query.
      for (let j = i + 1; j < frames.length; j++) {
        const outer = frames[j] as ProfileNode['callFrame'];
        if (frameStage(outer) === 'neutral' || DRIVER.test(outer.url)) continue;
        if (/\/src\/db\/context\.ts$/.test(outer.url)) return { stage: 'context', frame };
        break;
      }
    }
    return { stage, frame };
  }
  return { stage: 'node internals/GC' };
}

/** A measured stretch of load against one server: monotonic µs (process.hrtime) and requests served. */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
  requests: number;
  /** The main thread's CPU time over the window (/proc/<pid>/task/<pid>/stat), µs. */
  mainThreadCpuUs?: number;
}

export interface StageBreakdown {
  requests: number;
  /** Main-thread CPU per request, µs: the kernel's figure when the windows have it, else the sampled time. */
  totalUsPerReq: number;
  /** Sampled (non-idle) main-thread time per request, µs: wall-clock, so above the CPU time on a busy machine. */
  sampledUsPerReq: number;
  usPerReq: Record<Stage, number>;
  /** Each stage's share of the sampled time, %. */
  pct: Record<Stage, number>;
  /** What 'other' and 'node internals/GC' are made of: the deciding frame's owner (package or src/ folder). */
  unassigned: { owner: string; usPerReq: number }[];
}

/**
 * Non-idle samples inside the windows, classified by stage. V8 samples on a wall-clock timer, so
 * a thread waiting for a core still collects samples: the stages' shares of the samples are
 * applied to the main thread's CPU time from the kernel (when the windows carry it), then divided
 * by the requests served in the windows.
 */
export function stageBreakdown(profile: CpuProfile, windows: ProfileWindow[]): StageBreakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, { stage: Stage; who: string }>();
  const nodeStage = (id: number): { stage: Stage; who: string } => {
    let found = stageOf.get(id);
    if (found) return found;
    const frames: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame && frame.functionName !== '(root)') frames.push(frame);
    }
    const decided = stackOwner(frames);
    const leaf = frames[0];
    found = { stage: decided.stage, who: decided.frame ? owner(decided.frame) : leaf ? owner(leaf) : '(root)' };
    stageOf.set(id, found);
    return found;
  };
  const otherOwners = new Map<string, number>();
  const totals = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const sorted = [...windows].sort((a, b) => a.startUs - b.startUs);
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (!sorted.some((w) => t >= w.startUs && t <= w.endUs)) return;
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    const { stage, who } = nodeStage(id);
    totals[stage] += dt;
    if (stage === 'other' || stage === 'node internals/GC') otherOwners.set(who, (otherOwners.get(who) ?? 0) + dt);
  });
  const requests = windows.reduce((n, w) => n + w.requests, 0);
  const sampled = STAGES.reduce((n, s) => n + totals[s], 0);
  const kernel = windows.every((w) => Number.isFinite(w.mainThreadCpuUs))
    ? windows.reduce((n, w) => n + (w.mainThreadCpuUs as number), 0)
    : undefined;
  const scale = kernel !== undefined && sampled > 0 ? kernel / sampled : 1;
  const per = (us: number) => (requests > 0 ? Math.round((us / requests) * 10) / 10 : Number.NaN);
  const usPerReq = Object.fromEntries(STAGES.map((s) => [s, per(totals[s] * scale)])) as Record<Stage, number>;
  const pct = Object.fromEntries(
    STAGES.map((s) => [s, sampled > 0 ? Math.round((totals[s] / sampled) * 1000) / 10 : 0]),
  ) as Record<Stage, number>;
  const unassigned = [...otherOwners.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([who, us]) => ({ owner: who, usPerReq: per(us * scale) }));
  return { requests, totalUsPerReq: per(sampled * scale), sampledUsPerReq: per(sampled), usPerReq, pct, unassigned };
}

export interface ScenarioStages {
  scenario: string;
  /** Per server: the stages, and the whole process's CPU per request over the same rounds (/proc). */
  servers: { server: string; stages: StageBreakdown; procCpuUsPerReq?: number }[];
}

/** Per scenario: each server's profiled rounds, classified by stage. */
export function stagesByScenario(
  dir: string,
  scenarios: {
    name: string;
    windows: Partial<Record<string, ProfileWindow[]>>;
    cpuUsPerReq: Partial<Record<string, number>>;
  }[],
  servers: string[],
): ScenarioStages[] {
  const profiles = new Map<string, CpuProfile>();
  for (const server of servers) {
    const file = mainThreadProfile(join(dir, server));
    if (file) profiles.set(server, JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  }
  return scenarios.map((sc) => ({
    scenario: sc.name,
    servers: servers.flatMap((server) => {
      const profile = profiles.get(server);
      const windows = sc.windows[server];
      if (!profile || !windows?.length) return [];
      return [{ server, stages: stageBreakdown(profile, windows), procCpuUsPerReq: sc.cpuUsPerReq[server] }];
    }),
  }));
}

const fmtUs = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : String(Math.round(v)));

/** One table per scenario: stages down, servers across, main-thread CPU µs per request. */
export function stagesMarkdown(stages: ScenarioStages[]): string {
  const parts = [
    "Main-thread CPU µs per request by stage over the measured rounds (warm-up excluded): each stage's share of " +
      "the CPU profile samples taken during those rounds, applied to the main thread's CPU time from " +
      '`/proc/<pid>/task/<pid>/stat` (V8 samples on a wall-clock timer, so on a busy machine the raw sample time ' +
      'overstates CPU), divided by the requests served. A sample counts for the innermost frame that belongs to a ' +
      "stage (package, file or function; node's own frames take their caller's stage); driver frames called from " +
      'the context code count as context. The profiler adds overhead of its own, and other threads (GC helpers, ' +
      'libuv) are outside the profile: the last row but one is the whole process from /proc ' +
      '(median of the same rounds).',
    '',
  ];
  for (const sc of stages) {
    if (!sc.servers.length) continue;
    parts.push(
      `**${sc.scenario}**`,
      '',
      `| stage | ${sc.servers.map((s) => s.server).join(' | ')} |`,
      `| --- | ${sc.servers.map(() => '---:').join(' | ')} |`,
      ...STAGES.map(
        (st) => `| ${STAGE_LABELS[st]} | ${sc.servers.map((s) => fmtUs(s.stages.usPerReq[st])).join(' | ')} |`,
      ),
      `| **main thread total** | ${sc.servers.map((s) => `**${fmtUs(s.stages.totalUsPerReq)}**`).join(' | ')} |`,
      `| process CPU (all threads, /proc) | ${sc.servers.map((s) => fmtUs(s.procCpuUsPerReq)).join(' | ')} |`,
      `| requests profiled | ${sc.servers.map((s) => s.stages.requests.toLocaleString('en-US')).join(' | ')} |`,
      '',
      ...sc.servers.map(
        (s) =>
          `${s.server}, other and node internals by owner (µs/req): ${s.stages.unassigned.map((u) => `${u.owner} ${fmtUs(u.usPerReq)}`).join(', ')}`,
      ),
      '',
    );
  }
  return parts.join('\n');
}
