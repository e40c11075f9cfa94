import { createHash } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import { type AttemptStore, attemptKey, type BackoffPolicy } from './login-attempts.js';

export type LoginFailureReason =
  | 'unknown_tenant'
  | 'tenant_inactive'
  | 'unknown_user'
  | 'user_inactive'
  | 'bad_password'
  | 'throttled'
  | 'busy';

export interface LoginFailure {
  /** Tenant slug as given, or null on the platform login. */
  tenant: string | null;
  /** A hash of the normalised email, so the log can correlate attempts without holding the address. */
  emailHash: string;
  clientAddress: string;
  reason: LoginFailureReason;
}

export interface LoginAttempt {
  /** `tenant-slug email` or `platform email`, normalised. */
  account: string;
  clientAddress: string;
}

export interface LoginGuardOptions {
  store: AttemptStore;
  account: BackoffPolicy;
  address: BackoffPolicy;
  onFailure?: (failure: LoginFailure) => void;
}

export const emailHash = (email: string) => createHash('sha256').update(email).digest('hex').slice(0, 16);

const throttled = (retryAfterSeconds: number) =>
  new DomainError(
    'rate_limited',
    `too many failed sign-ins; retry in ${retryAfterSeconds} s`,
    undefined,
    retryAfterSeconds,
  );

/**
 * Login flood protection: failed sign-ins are counted per account and per client address;
 * past a threshold each further failure blocks that key for an exponentially growing, capped
 * time, during which attempts are refused (429) before any lookup or hash. A correct password
 * after the block signs in and clears the account's count.
 */
export function createLoginGuard(opts: LoginGuardOptions) {
  const failures = new Map<LoginFailureReason, number>();
  const keys = (a: LoginAttempt) =>
    [
      [attemptKey('account', a.account), opts.account],
      [attemptKey('address', a.clientAddress), opts.address],
    ] as const;

  return {
    /** Failed sign-ins by reason since start, for /metrics. */
    failures,

    report(failure: LoginFailure): void {
      failures.set(failure.reason, (failures.get(failure.reason) ?? 0) + 1);
      opts.onFailure?.(failure);
    },

    /** Refuses (429 with the seconds to wait) while the account or the address is blocked. */
    async admit(a: LoginAttempt): Promise<void> {
      const now = Date.now();
      const records = await Promise.all(keys(a).map(([key]) => opts.store.get(key, now)));
      const until = Math.max(0, ...records.map((r) => r?.blockedUntil ?? 0));
      if (until > now) throw throttled(Math.max(1, Math.ceil((until - now) / 1000)));
    },

    async failed(a: LoginAttempt): Promise<void> {
      const now = Date.now();
      await Promise.all(keys(a).map(([key, policy]) => opts.store.fail(key, now, policy)));
    },

    async succeeded(a: LoginAttempt): Promise<void> {
      await opts.store.reset(attemptKey('account', a.account));
    },
  };
}

export type LoginGuard = ReturnType<typeof createLoginGuard>;
