import { afterEach, describe, expect, it } from 'vitest';
import { createHashWorkers, type HashWorkers } from '../../src/services/hash-workers.js';

const OPTIONS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
let workers: HashWorkers | undefined;

afterEach(async () => {
  await workers?.close();
  workers = undefined;
});

describe('hash workers', () => {
  it('when created, then no worker runs until the first job, and one starts for it', async () => {
    workers = createHashWorkers(2, 0, 60_000);
    expect(workers.running()).toBe(0);
    const hashed = await workers.hash('correct horse battery', OPTIONS);
    expect(workers.running()).toBe(1);
    expect(await workers.verify(hashed, 'correct horse battery')).toBe(true);
    expect(workers.running()).toBe(1);
  });

  it('when idle for longer than idleMs, then the worker stops, and the next job starts one again', async () => {
    workers = createHashWorkers(1, 0, 50);
    const hashed = await workers.hash('correct horse battery', OPTIONS);
    await new Promise((r) => setTimeout(r, 200));
    expect(workers.running()).toBe(0);
    expect(await workers.verify(hashed, 'wrong horse battery')).toBe(false);
    expect(workers.running()).toBe(1);
  });

  it('when jobs overlap, then they spread over the workers and all answer', async () => {
    workers = createHashWorkers(2, 0, 60_000);
    const results = await Promise.all(
      ['a-password-1', 'a-password-2', 'a-password-3'].map((p) => workers?.hash(p, OPTIONS)),
    );
    expect(results.every((h) => typeof h === 'string' && h.startsWith('$argon2id$'))).toBe(true);
    expect(workers.running()).toBe(2);
  });
});
