import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { logLines, type ServerProcess, startServerProcess } from '../support/server-process.js';

// The real server on an embedded PostgreSQL of its own, stopped with SIGTERM under load.
const DRAIN_MS = 3000;
const CLIENTS = 12;
let server: ServerProcess | undefined;
let viaNpm: ServerProcess | undefined;
// Inside a 0700 directory, as `mktemp -d` makes them: started by root, the server must make it
// enterable for the postgres user that runs the embedded PostgreSQL.
const outerDir = mkdtempSync(join(tmpdir(), 'tenantry-shutdown-'));
const dataDir = join(outerDir, 'data');

afterAll(async () => {
  await server?.stop(5000);
  await viaNpm?.stop(5000);
  rmSync(outerDir, { recursive: true, force: true });
});

type Outcome = { at: number; id?: string; status?: number; error?: string; failedAt?: number; endedAt?: number };

const errorCode = (err: unknown): string => {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(err);
};

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe('graceful shutdown', () => {
  it('when SIGTERM arrives under load, then readiness turns 503 first, no request in flight fails, and the server exits 0 after stopping PostgreSQL', async () => {
    const password = 'platform-password-shutdown-1';
    server = await startServerProcess(
      {
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        DB_POOL_SIZE: '5',
        PLATFORM_ADMIN_EMAIL: 'shutdown@platform.test',
        PLATFORM_ADMIN_PASSWORD: password,
        SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
        SHUTDOWN_TIMEOUT_MS: '10000',
      },
      { readyMs: 120_000 },
    );
    const origin = server.origin;
    const post = (path: string, body: unknown, token?: string, id?: string) =>
      fetch(`${origin}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(id ? { 'x-request-id': id } : {}),
        },
        body: JSON.stringify(body),
      });
    const platform = await json<{ accessToken: string }>(
      await post('/api/v1/auth/platform/login', { email: 'shutdown@platform.test', password }),
    );
    const slug = `sd-${Date.now().toString(36)}`;
    const admin = { email: `admin@${slug}.test`, password: 'tenant-password-1', name: 'Admin' };
    expect(
      (
        await post(
          '/api/v1/tenants',
          { name: 'Shutdown School', slug, plan: 'enterprise', admin },
          platform.accessToken,
        )
      ).status,
    ).toBe(201);
    const { accessToken: token } = await json<{ accessToken: string }>(
      await post('/api/v1/auth/login', { tenant: slug, email: admin.email, password: admin.password }),
    );

    // Clients alternate reads and writes until the listener refuses them.
    const outcomes: Outcome[] = [];
    let stopLoad = false;
    const client = async (n: number) => {
      for (let i = 0; !stopLoad; i++) {
        const started = performance.now();
        const id = `sd-${n}-${i}`;
        try {
          const res =
            i % 2 === 0
              ? await fetch(`${origin}/api/v1/students?limit=5`, {
                  headers: { authorization: `Bearer ${token}`, 'x-request-id': id },
                })
              : await post('/api/v1/students', { studentNo: id, firstName: 'Shut', lastName: 'Down' }, token, id);
          await res.arrayBuffer();
          outcomes.push({ at: started, id, status: res.status, endedAt: performance.now() });
        } catch (err) {
          outcomes.push({ at: started, id, error: errorCode(err), failedAt: Date.now() });
          if (errorCode(err) === 'ECONNREFUSED') return;
        }
      }
    };
    const ready: Outcome[] = [];
    // One readiness probe every 50 ms, each on its own connection, without waiting for the
    // previous answer (a load balancer's health checks do not queue behind each other).
    const probes: Promise<void>[] = [];
    const probe = async () => {
      const at = performance.now();
      try {
        const res = await fetch(`${origin}/health/ready`, { headers: { connection: 'close' } });
        await res.arrayBuffer();
        ready.push({ at, status: res.status });
      } catch (err) {
        ready.push({ at, error: errorCode(err) });
      }
    };
    const pollReady = async () => {
      while (!stopLoad) {
        probes.push(probe());
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.all(probes);
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    const poller = pollReady();
    await new Promise((r) => setTimeout(r, 1000));
    const signalled = performance.now();
    server.signal('SIGTERM');
    const code = await server.exited;
    stopLoad = true;
    await Promise.all([...clients, poller]);

    const logs = logLines(server.output());
    // In flight = received by the server (it logs every request it answers). A connection still
    // in the kernel's accept queue when the listener closes is reset without reaching the server:
    // like a refused one, it was never accepted, and a balancer no longer sends any by then.
    const received = new Set(logs.filter((l) => l.msg === 'request').map((l) => String(l.requestId)));
    const served = outcomes.filter((o) => o.status !== undefined && o.endedAt! >= signalled);
    const failures = outcomes.filter(
      (o) => (o.status !== undefined && o.status >= 500) || (o.error && received.has(o.id!)),
    );
    const neverAccepted = outcomes.filter((o) => o.error && !received.has(o.id!));
    const firstRefused = Math.min(
      ...ready
        .concat(outcomes)
        .filter((o) => o.error === 'ECONNREFUSED')
        .map((o) => o.at),
    );
    const first503 = ready.find((o) => o.status === 503 && o.at >= signalled);
    const closing = logs.find((l) => String(l.msg).startsWith('shutting down: listener closed'));
    console.info(
      `shutdown: ${outcomes.length} requests, ${served.length} answered after SIGTERM, ${String(closing?.inFlight)} in flight at close, ` +
        `${failures.length} failed, ${neverAccepted.length} never accepted (${[...new Set(neverAccepted.map((o) => o.error))].join(', ')}); ready 503 after ${Math.round((first503?.at ?? Number.NaN) - signalled)} ms, ` +
        `listener refused after ${Math.round(firstRefused - signalled)} ms; exit ${code}`,
    );

    expect(failures).toEqual([]);
    // …and only once the listener had closed, never during the drain.
    const closedAt = Number(closing?.time);
    for (const o of neverAccepted) expect(o.failedAt!).toBeGreaterThanOrEqual(closedAt - 5);
    expect(code).toBe(0);
    expect(served.length).toBeGreaterThan(0);
    expect(first503).toBeDefined();
    expect(first503!.at).toBeLessThan(firstRefused);
    const lateReady = ready.filter((o) => o.at - signalled > 100 && o.status === 200);
    expect(lateReady).toEqual([]);
    expect(firstRefused - signalled).toBeGreaterThanOrEqual(DRAIN_MS - 50);
    expect(Number(closing?.inFlight)).toBeGreaterThan(0);
    expect(logs.some((l) => l.msg === 'shut down' && l.code === 0)).toBe(true);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    if (process.getuid?.() === 0) {
      expect(statSync(outerDir).mode & 0o777).toBe(0o701);
      expect(server.output()).toContain(`made ${outerDir} enterable (o+x)`);
    }

    // The whole run's output (start, sign-ins, load, shutdown) names no credential.
    const dbPasswords = Object.values(JSON.parse(readFileSync(join(dataDir, 'pg-secrets.json'), 'utf8')) as string[]);
    for (const secret of [password, admin.password, token, platform.accessToken, ...dbPasswords]) {
      expect(server.output()).not.toContain(secret);
    }
  }, 240_000);

  it('when `npm start` itself receives SIGTERM, then the server behind it shuts down gracefully and no process is left serving', async () => {
    viaNpm = await startServerProcess(
      {
        DATA_DIR: join(outerDir, 'npm-data'),
        EMBEDDED_PG_PORT: String(await freePort()),
        PLATFORM_ADMIN_PASSWORD: 'platform-password-npm-start-1',
        SHUTDOWN_DRAIN_MS: '200',
      },
      { readyMs: 120_000, viaNpm: true },
    );
    expect((await fetch(`${viaNpm.origin}/health/ready`)).status).toBe(200);
    viaNpm.signal('SIGTERM');
    expect(await viaNpm.exited).toBe(0);
    const logs = logLines(viaNpm.output());
    expect(logs.some((l) => l.msg === 'shut down' && l.code === 0)).toBe(true);
    // npm has exited: the server behind it must not be left listening as an orphan.
    await expect(fetch(`${viaNpm.origin}/health/live`)).rejects.toThrow();
  }, 180_000);
});
