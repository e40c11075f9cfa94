/** How the outbox retries a failing event before parking it as a dead letter. */
export interface RetryPolicy {
  /** Attempts before the event is dead-lettered (failed_at set). */
  maxAttempts: number;
  /** Delay after the first failure; doubles with each further failure. */
  baseMs: number;
  /** Upper bound of one delay. */
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, baseMs: 1_000, maxMs: 3_600_000 };

/** What happens to an event after its n-th failed attempt (n counts from 1). */
export type FailureOutcome = { kind: 'retry'; delayMs: number } | { kind: 'dead_letter' };

/**
 * Exponential backoff with full jitter: a random delay in [0, min(max, base · 2^(n-1))], so
 * instances retrying the same failing subscriber do not hit it in lockstep. `random` is
 * injectable for tests.
 */
export function afterFailure(
  attempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): FailureOutcome {
  if (attempts >= policy.maxAttempts) return { kind: 'dead_letter' };
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return { kind: 'retry', delayMs: Math.floor(random() * ceiling) };
}
