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

interface Slot {
  worker: Worker;
  inFlight: number;
  idle?: NodeJS.Timeout;
}

/**
 * Workers start on their first job and stop after `idleMs` without one: a worker thread is a V8
 * isolate of its own (about 14 MB RSS, 7 MB of it given back when it stops), and most of a
 * server's life has no password to hash. The first login after a quiet spell pays the start
 * (tens of ms).
 */
export function createHashWorkers(size: number, nice = 10, idleMs = 30_000) {
  const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2');
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const slots: (Slot | undefined)[] = new Array(size).fill(undefined);

  function start(i: number): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { argon2, nice } });
    const slot: Slot = { worker, inFlight: 0 };
    worker.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      slot.inFlight--;
      if (slot.inFlight === 0) {
        worker.unref();
        slot.idle = setTimeout(() => {
          if (slot.inFlight > 0 || slots[i] !== slot) return;
          slots[i] = undefined;
          void worker.terminate();
        }, idleMs).unref();
      }
      if (msg.error !== undefined) p?.reject(new Error(msg.error));
      else p?.resolve(msg.result);
    });
    // After the listener: adding a 'message' listener references the worker's port again, and
    // an idle worker must not keep a finished process (the CLI, a test) alive.
    worker.unref();
    return slot;
  }

  /** Runs one job on the least busy worker (a running one before a new one); the caller (the hash queue) keeps at most `size` in flight. */
  function run<T>(job: Job): Promise<T> {
    const id = nextId++;
    const load = (s: Slot | undefined) => (s ? s.inFlight : 0.5);
    let i = 0;
    for (let k = 1; k < size; k++) if (load(slots[k]) < load(slots[i])) i = k;
    const slot = slots[i] ?? start(i);
    slots[i] = slot;
    clearTimeout(slot.idle);
    slot.inFlight++;
    // Referenced while a job is in flight, so a waiting caller keeps the process alive.
    slot.worker.ref();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ id, ...job });
    });
  }

  return {
    hash: (password: string, options: object) => run<string>({ op: 'hash', password, options }),
    verify: (hashed: string, password: string) => run<boolean>({ op: 'verify', hashed, password }),
    /** Workers running now (they start on demand and stop when idle). */
    running: () => slots.filter(Boolean).length,
    close: () =>
      Promise.all(
        slots.map((slot, i) => {
          slots[i] = undefined;
          clearTimeout(slot?.idle);
          return slot?.worker.terminate();
        }),
      ).then(() => undefined),
  };
}

export type HashWorkers = ReturnType<typeof createHashWorkers>;
