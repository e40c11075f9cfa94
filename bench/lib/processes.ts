import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerProcess {
  name: string;
  pid: number;
  baseUrl: string;
  /** Resident and peak resident memory from /proc/<pid>/status, in MB. */
  memory(): { rssMb: number; hwmMb: number } | undefined;
  /** CPU time (user + system, all threads) the process has used so far, in ms; NaN if unknown. */
  cpuMs(): number;
  /** The same for the main (JavaScript) thread alone. */
  mainThreadCpuMs(): number;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Last resort (exit, signals): children must not outlive the bench. */
export function killAllChildrenSync(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function readMemory(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;

function readCpuMs(statFile: string): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // Fields after "pid (comm) ": state is [0], utime [11], stime [12], in clock ticks.
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

async function waitReady(child: ChildProcess, url: string, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening:\n${output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`not ready after ${timeoutMs / 1000} s:\n${output()}`);
}

/**
 * How `npm start` runs the server (package.json's start script, `exec [env K=V …] node <flags>
 * --import tsx src/server.ts`): its environment assignments and node flags, so the bench measures
 * the server as it is started, memory settings included.
 */
export function startCommand(): { env: Record<string, string>; nodeArgs: string[] } {
  const pkg = JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  const env: Record<string, string> = {};
  const nodeArgs: string[] = [];
  let i = words[0] === 'exec' ? 1 : 0;
  if (words[i] === 'env') {
    for (i++; words[i]?.includes('='); i++) {
      const [key, ...value] = (words[i] as string).split('=');
      env[key as string] = value.join('=');
    }
  }
  if (words[i] !== 'node') throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  for (i++; i < words.length - 1; i++) {
    if (words[i] === '--import' && words[i + 1] === 'tsx') i++;
    else nodeArgs.push(words[i] as string);
  }
  return { env, nodeArgs };
}

/**
 * Starts `node --import tsx <script>` (so the pid is the server's own, for RSS) and waits
 * until GET /health/live answers 200.
 */
export async function startServer(opts: {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', opts.script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...opts.env, PORT: String(opts.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const output = () =>
    tail
      .trim()
      .split('\n')
      .slice(-30)
      .map((l) => `    [${opts.name}] ${l}`)
      .join('\n');
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitReady(child, `${baseUrl}/health/live`, opts.readyTimeoutMs ?? 90_000, output);
  } catch (err) {
    await stop();
    throw new Error(`server ${opts.name} ${(err as Error).message}`);
  }
  const pid = child.pid ?? -1;
  return {
    name: opts.name,
    pid,
    baseUrl,
    memory: () => readMemory(pid),
    cpuMs: () => readCpuMs(`/proc/${pid}/stat`),
    mainThreadCpuMs: () => readCpuMs(`/proc/${pid}/task/${pid}/stat`),
    output,
    stop,
  };
}
