import { describe, expect, it } from 'vitest';
import { afterFailure } from '../../src/events/retry-policy.js';

const policy = { maxAttempts: 5, baseMs: 100, maxMs: 1_000 };

describe('outbox retry policy', () => {
  it('when an event fails, then the delay ceiling doubles per attempt up to the maximum', () => {
    const ceilings = [1, 2, 3, 4].map((n) => afterFailure(n, policy, () => 0.999_999));
    expect(ceilings.map((o) => (o.kind === 'retry' ? Math.round(o.delayMs / 100) * 100 : o.kind))).toEqual([
      100, 200, 400, 800,
    ]);
    const capped = afterFailure(4, { ...policy, maxAttempts: 10, maxMs: 300 }, () => 0.999_999);
    expect(capped).toEqual({ kind: 'retry', delayMs: 299 });
  });

  it('when the jitter draws differ, then so do the delays (full jitter, never above the ceiling)', () => {
    const low = afterFailure(3, policy, () => 0);
    const mid = afterFailure(3, policy, () => 0.5);
    expect(low).toEqual({ kind: 'retry', delayMs: 0 });
    expect(mid).toEqual({ kind: 'retry', delayMs: 200 });
    for (let i = 0; i < 100; i++) {
      const o = afterFailure(3, policy);
      expect(o.kind === 'retry' && o.delayMs >= 0 && o.delayMs < 400).toBe(true);
    }
  });

  it('when the last attempt fails, then the event is dead-lettered', () => {
    expect(afterFailure(5, policy)).toEqual({ kind: 'dead_letter' });
    expect(afterFailure(6, policy)).toEqual({ kind: 'dead_letter' });
  });
});
