import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  origin: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  exited: Promise<number | string>;
  signal(name: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

/**
 * The real server (`src/server.ts`, as `npm start` runs it) as a child process on a free port;
 * with `viaNpm`, `npm start` itself, so the child is npm and signals go to npm's own process.
 */
export async function startServerProcess(
  env: Record<string, string>,
  opts: { readyMs?: number; viaNpm?: boolean } = {},
) {
  const port = await freePort();
  const [command, args] = opts.viaNpm
    ? ['npm', ['start', '--silent']]
    : [process.execPath, ['--import', 'tsx', 'src/server.ts']];
  const child = spawn(command, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      REDIS_URL: '',
      ...env,
      PORT: String(port),
    },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  const origin = `http://127.0.0.1:${port}`;
  const proc: ServerProcess = {
    origin,
    port,
    child,
    output: () => out,
    exited,
    signal: (name) => void child.kill(name),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + (opts.readyMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${out.slice(-3000)}`);
    const live = await fetch(`${origin}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (live) return proc;
    if (Date.now() > deadline) {
      await proc.stop(1000);
      throw new Error(`server did not answer in time:\n${out.slice(-3000)}`);
    }
    await sleep(100);
  }
}

/** The server's JSON log lines (pino), parsed; other lines are skipped. */
export function logLines(output: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line
    }
  }
  return lines;
}
