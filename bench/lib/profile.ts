import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
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
