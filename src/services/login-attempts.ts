import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Failed sign-ins of one key (an account or a client address) and the end of its current block. */
export interface AttemptRecord {
  failures: number;
  /** Epoch ms; attempts before it are refused without checking the password. */
  blockedUntil: number;
}

export interface BackoffPolicy {
  /** Failures allowed before the first block. */
  threshold: number;
  baseMs: number;
  capMs: number;
  /** Failures are forgotten this long after the last one. */
  windowMs: number;
}

/** The block after the nth failure: none under the threshold, then base × 2^k up to the cap. */
export function blockMs(failures: number, p: BackoffPolicy): number {
  if (failures < p.threshold) return 0;
  return Math.min(p.capMs, p.baseMs * 2 ** Math.min(30, failures - p.threshold));
}

export interface AttemptStore {
  get(key: string, now: number): Promise<AttemptRecord | null>;
  /** Counts one failure and returns the new record (block included). */
  fail(key: string, now: number, policy: BackoffPolicy): Promise<AttemptRecord>;
  reset(key: string): Promise<void>;
}

/** Keys are hashed: neither store ever holds an email address or a client address in clear. */
export const attemptKey = (kind: 'account' | 'address', value: string) =>
  `${kind}:${createHash('sha256').update(value).digest('base64url').slice(0, 32)}`;

/** One instance's counters; bounded, the least recently failed keys go first. */
export function memoryAttemptStore(maxKeys = 100_000): AttemptStore {
  const entries = new Map<string, AttemptRecord & { expires: number }>();
  const live = (key: string, now: number) => {
    const e = entries.get(key);
    if (e && e.expires <= now) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };
  return {
    async get(key, now) {
      const e = live(key, now);
      return e ? { failures: e.failures, blockedUntil: e.blockedUntil } : null;
    },
    async fail(key, now, policy) {
      const failures = (live(key, now)?.failures ?? 0) + 1;
      const block = blockMs(failures, policy);
      const prev = entries.get(key);
      const blockedUntil = block > 0 ? now + block : (prev?.blockedUntil ?? 0);
      entries.delete(key);
      if (entries.size >= maxKeys) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(key, { failures, blockedUntil, expires: now + policy.windowMs + block });
      return { failures, blockedUntil };
    },
    async reset(key) {
      entries.delete(key);
    },
  };
}

// One round trip, atomic across instances: count, compute the block, extend the expiry.
const FAIL_SCRIPT = `
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
local threshold = tonumber(ARGV[1])
local now = tonumber(ARGV[4])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'b') or '0')
local block = 0
if f >= threshold then
  block = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(30, f - threshold))
  blocked = now + block
  redis.call('HSET', KEYS[1], 'b', blocked)
end
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[5]) + block))
return {f, blocked}
`;

/** Counters shared by every instance. */
export function redisAttemptStore(redis: Redis, prefix = 'tenantry:login:'): AttemptStore {
  return {
    async get(key) {
      const h = await redis.hmget(prefix + key, 'f', 'b');
      if (h[0] == null) return null;
      return { failures: Number(h[0]), blockedUntil: Number(h[1] ?? 0) };
    },
    async fail(key, now, p) {
      const [failures, blockedUntil] = (await redis.eval(
        FAIL_SCRIPT,
        1,
        prefix + key,
        p.threshold,
        p.baseMs,
        p.capMs,
        now,
        p.windowMs,
      )) as [number, number];
      return { failures: Number(failures), blockedUntil: Number(blockedUntil) };
    },
    async reset(key) {
      await redis.del(prefix + key);
    },
  };
}

/**
 * Redis when it answers, this instance's memory while it does not: a Redis outage must not
 * open the logins to unthrottled guessing, nor refuse every sign-in.
 */
export function withFallback(
  primary: AttemptStore,
  fallback: AttemptStore,
  onError: (err: unknown) => void,
): AttemptStore {
  const attempt =
    <A extends unknown[], R>(f: (s: AttemptStore, ...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await f(primary, ...a);
      } catch (err) {
        onError(err);
        return f(fallback, ...a);
      }
    };
  return {
    get: attempt((s, key: string, now: number) => s.get(key, now)),
    fail: attempt((s, key: string, now: number, p: BackoffPolicy) => s.fail(key, now, p)),
    reset: attempt((s, key: string) => s.reset(key)),
  };
}
