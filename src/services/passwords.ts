import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { DomainError } from '../domain/errors.js';
import type { HashWorkers } from './hash-workers.js';

// argon2id (the library's default algorithm) with OWASP's recommended minimums.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => hash(password, OPTIONS);

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

/** Half the cores hash at most, so a login flood leaves the others to every other request. */
export const defaultHashConcurrency = () => Math.max(1, Math.floor(availableParallelism() / 2));

export interface HashQueueStats {
  running: number;
  waiting: number;
  /** Jobs refused at once because the queue was full. */
  refused: number;
  completed: number;
}

/**
 * A bounded queue in front of argon2: at most `concurrency` hashes run, at most `maxWaiting`
 * sign-ins wait, and any sign-in beyond is refused at once (503 with Retry-After) instead of
 * piling up behind the others and taking every core with it.
 */
export function createHashQueue(opts: { concurrency: number; maxWaiting: number }) {
  const waiting: Array<() => void> = [];
  const stats: HashQueueStats = { running: 0, waiting: 0, refused: 0, completed: 0 };

  const release = () => {
    stats.running--;
    stats.completed++;
    const next = waiting.shift();
    stats.waiting = waiting.length;
    if (next) {
      stats.running++;
      next();
    }
  };

  return {
    stats,
    /** `queue: 'always'` waits whatever the queue's length (an admin's write, not a sign-in). */
    async run<T>(job: () => Promise<T>, mode: { queue?: 'bounded' | 'always' } = {}): Promise<T> {
      if (stats.running >= opts.concurrency) {
        if (mode.queue !== 'always' && waiting.length >= opts.maxWaiting) {
          stats.refused++;
          throw new DomainError('service_unavailable', 'too many sign-ins in progress; retry shortly');
        }
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          stats.waiting = waiting.length;
        });
      } else {
        stats.running++;
      }
      try {
        return await job();
      } finally {
        release();
      }
    },
  };
}

export type HashQueue = ReturnType<typeof createHashQueue>;

/** Hashing and verification, both through one bounded queue (on niced worker threads when given). */
export function createPasswords(queue: HashQueue, workers?: HashWorkers) {
  const hashNow = (password: string) => (workers ? workers.hash(password, OPTIONS) : hashPassword(password));
  const verifyNow = async (hashed: string, password: string) => {
    try {
      return await (workers ? workers.verify(hashed, password) : verify(hashed, password));
    } catch {
      return false;
    }
  };
  // Verified against when the user does not exist, so unknown users cost the same time.
  let dummyHash: Promise<string> | undefined;
  const dummy = () => {
    dummyHash ??= hashNow('not-a-real-password-0000');
    return dummyHash;
  };
  return {
    queue,
    /** Setting a password (user and tenant creation, password change): waits its turn. */
    hash: (password: string) => queue.run(() => hashNow(password), { queue: 'always' }),
    /** Verifies against the stored hash, or against a dummy one when there is none (same cost). */
    async verify(hashed: string | null | undefined, password: string): Promise<boolean> {
      const target = hashed ?? (await dummy());
      const ok = await queue.run(() => verifyNow(target, password));
      return ok && hashed != null;
    },
  };
}

export type Passwords = ReturnType<typeof createPasswords>;
