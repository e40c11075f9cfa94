import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * argon2 on worker threads of their own, each niced (Linux applies setpriority to the calling
 * thread only): when the cores are busy, request handling and PostgreSQL are scheduled first and
 * hashing takes what is left, so a login flood cannot slow other tenants' requests much. Plain
 * CommonJS evaluated in the worker, so it runs the same under tsx, vitest and a build.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const os = require('node:os');
const argon2 = require(workerData.argon2);
try { os.setPriority(0, workerData.nice); } catch {}
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.hashed, job.password);
    parentPort.postMessage({ id: job.id, result });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String(err && err.message || err) });
  }
});`;

type Job = { op: 'hash'; password: string; options: object } | { op: 'verify'; hashed: string; password: string };

export function createHashWorkers(size: number, nice = 10) {
  const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const inFlight = new Array<number>(size).fill(0);
  const workers = Array.from({ length: size }, () => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { argon2, nice } });
    worker.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      const i = workers.indexOf(worker);
      inFlight[i] = (inFlight[i] ?? 1) - 1;
      if (inFlight[i] === 0) worker.unref();
      if (msg.error !== undefined) p?.reject(new Error(msg.error));
      else p?.resolve(msg.result);
    });
    // After the listener: adding a 'message' listener references the worker's port again, and
    // an idle worker must not keep a finished process (the CLI, a test) alive.
    worker.unref();
    return worker;
  });
  /** Runs one job; the caller (the hash queue) keeps at most `size` in flight. */
  function run<T>(job: Job): Promise<T> {
    const id = nextId++;
    const i = inFlight.indexOf(Math.min(...inFlight));
    inFlight[i] = (inFlight[i] ?? 0) + 1;
    const worker = workers[i]!;
    // Referenced while a job is in flight, so a waiting caller keeps the process alive.
    worker.ref();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, ...job });
    });
  }

  return {
    hash: (password: string, options: object) => run<string>({ op: 'hash', password, options }),
    verify: (hashed: string, password: string) => run<boolean>({ op: 'verify', hashed, password }),
    close: () => Promise.all(workers.map((w) => w.terminate())).then(() => undefined),
  };
}

export type HashWorkers = ReturnType<typeof createHashWorkers>;
