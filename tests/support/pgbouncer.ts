import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface PgBouncer {
  port: number;
  version: string;
  /** PgBouncer ≥ 1.21 tracks named prepared statements in transaction mode; older ones break them. */
  preparedStatements: boolean;
  /** The same role, password and database as `url`, but through PgBouncer. */
  via(url: string): string;
  /** The admin console (SHOW SERVERS, SHOW POOLS); simple query protocol only. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** The pgbouncer binary, if installed (Debian puts it in /usr/sbin, not always on PATH). */
export function findPgBouncer(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, 'pgbouncer'))) return join(dir, 'pgbouncer');
  }
  return undefined;
}

/**
 * Whether the PgBouncer suites can run. Outside CI a missing binary skips them (visibly, by
 * name); in CI, which installs it (.ci/run), a missing binary fails the file instead.
 */
export function pgbouncerForTests(): boolean {
  const installed = Boolean(findPgBouncer());
  if (!installed && process.env.CI === 'true') {
    throw new Error('pgbouncer is not installed; CI must run it (.ci/run installs the Debian package)');
  }
  return installed;
}

function versionOf(bin: string): { version: string; atLeast: (major: number, minor: number) => boolean } {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  const [, major = '0', minor = '0', patch = '0'] = /PgBouncer (\d+)\.(\d+)\.?(\d*)/.exec(out) ?? [];
  const v = [Number(major), Number(minor)] as const;
  return {
    version: `${major}.${minor}.${patch || 0}`,
    atLeast: (a, b) => v[0] > a || (v[0] === a && v[1] >= b),
  };
}

const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;

function waitForPort(port: number, child: ChildProcess, stderr: () => string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`pgbouncer exited (${child.exitCode}): ${stderr()}`));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`pgbouncer did not listen on ${port}: ${stderr()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Starts PgBouncer in transaction pooling mode in front of the server that `urls` point at.
 * Each URL's role and password go into the userlist, so clients authenticate exactly as they
 * would directly. The pool has few server connections so that many clients share them.
 */
export async function startPgBouncer(opts: { urls: string[]; poolSize: number }): Promise<PgBouncer> {
  const bin = findPgBouncer();
  if (!bin) throw new Error('pgbouncer is not installed');
  const { version, atLeast } = versionOf(bin);
  const preparedStatements = atLeast(1, 21);
  const target = new URL(opts.urls[0]!);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-pgbouncer-'));
  const admin = { user: 'pgb_admin', password: randomBytes(12).toString('hex') };
  const users = new Map(opts.urls.map((u) => new URL(u)).map((u) => [decodeURIComponent(u.username), u]));
  const userlist = [...users].map(([name, u]) => `${quote(name)} ${quote(decodeURIComponent(u.password))}`);
  userlist.push(`${quote(admin.user)} ${quote(admin.password)}`);
  writeFileSync(join(dir, 'userlist.txt'), `${userlist.join('\n')}\n`, { mode: 0o600 });
  const ini = [
    '[databases]',
    `* = host=${target.hostname} port=${target.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `admin_users = ${admin.user}`,
    'pool_mode = transaction',
    `default_pool_size = ${opts.poolSize}`,
    'max_client_conn = 1000',
    // pg sends these as startup parameters; PgBouncer refuses unknown ones unless told to drop them.
    'ignore_startup_parameters = extra_float_digits,statement_timeout,idle_in_transaction_session_timeout',
    ...(preparedStatements ? ['max_prepared_statements = 200'] : []),
  ];
  writeFileSync(join(dir, 'pgbouncer.ini'), `${ini.join('\n')}\n`, { mode: 0o600 });

  // PgBouncer refuses to run as root; -u drops to the postgres user, which must read the files.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
    chmodSync(dir, 0o700);
  }
  const child = spawn(bin, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    version,
    preparedStatements,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    adminUrl: `postgres://${admin.user}:${admin.password}@127.0.0.1:${port}/pgbouncer`,
    stop,
  };
}
