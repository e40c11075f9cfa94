import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { freePort } from '../support/free-port.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface SoakDatabase {
  runtimeUrl: string;
  adminUrl: string;
  platformUrl: string;
  /** Only an embedded cluster started here can be stopped and started (--fault). */
  restartable: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** SOAK_DATABASE_URL + SOAK_ADMIN_URL + SOAK_PLATFORM_URL when set, else an embedded cluster of its own. */
export async function soakDatabase(workDir: string): Promise<SoakDatabase> {
  const external = {
    runtimeUrl: process.env.SOAK_DATABASE_URL,
    adminUrl: process.env.SOAK_ADMIN_URL,
    platformUrl: process.env.SOAK_PLATFORM_URL,
  };
  if (external.runtimeUrl && external.adminUrl && external.platformUrl) {
    await migrate(external.adminUrl);
    const refuse = async () => {
      throw new Error('--fault needs the embedded PostgreSQL (unset SOAK_DATABASE_URL)');
    };
    return {
      runtimeUrl: external.runtimeUrl,
      adminUrl: external.adminUrl,
      platformUrl: external.platformUrl,
      restartable: false,
      stop: refuse,
      start: refuse,
      destroy: async () => {},
    };
  }
  const dataDir = join(workDir, 'pg');
  const port = await freePort();
  let server: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir, port });
  await migrate(server.adminUrl);
  return {
    runtimeUrl: server.runtimeUrl,
    adminUrl: server.adminUrl,
    platformUrl: server.platformUrl,
    restartable: true,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await startEmbeddedPostgres({ dataDir, port });
    },
    async destroy() {
      await server?.stop();
      server = undefined;
    },
  };
}

export function workDirectory(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-soak-'));
  chmodSync(dir, 0o755); // embedded PostgreSQL runs as the postgres user
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface SoakServer {
  baseUrl: string;
  pid: number;
  logFile: string;
  platform: { email: string; password: string };
  /** Resident set size of the server process, in MB. */
  rssMb(): number;
  stop(): Promise<void>;
}

function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux: fall back to ps
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
}

/** The real server (src/server.ts) as a child process on a loopback port, against `db`. */
export async function startServer(db: SoakDatabase, workDir: string): Promise<SoakServer> {
  const port = await freePort();
  const platform = { email: 'soak@platform.test', password: randomBytes(12).toString('hex') };
  const logFile = join(workDir, 'server.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'error',
      DATA_DIR: join(workDir, 'app'),
      DATABASE_URL: db.runtimeUrl,
      DATABASE_ADMIN_URL: db.adminUrl,
      DATABASE_PLATFORM_URL: db.platformUrl,
      DB_POOL_SIZE: '10',
      REDIS_URL: '',
      SHUTDOWN_DRAIN_MS: '0',
      PLATFORM_ADMIN_EMAIL: platform.email,
      PLATFORM_ADMIN_PASSWORD: platform.password,
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}); see ${logFile}`);
    const live = await fetch(`${baseUrl}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (live) break;
    if (i > 300) throw new Error(`server did not answer within 30 s; see ${logFile}`);
    await sleep(100);
  }
  return {
    baseUrl,
    pid: child.pid!,
    logFile,
    platform,
    rssMb: () => rssOf(child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
