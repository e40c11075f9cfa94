/** Purges deleted tenants whose grace period is over, on a timer; several instances may run it. */
export interface TenantSweeper {
  /** One sweep now; resolves with the ids purged. */
  sweepOnce(): Promise<string[]>;
  start(): void;
  stop(): Promise<void>;
}

export function createTenantSweeper(deps: {
  sweep: () => Promise<string[]>;
  intervalMs: number;
  onPurged?: (ids: string[]) => void;
  onError?: (err: unknown) => void;
}): TenantSweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function sweepOnce(): Promise<string[]> {
    const ids = await deps.sweep();
    if (ids.length > 0) deps.onPurged?.(ids);
    return ids;
  }

  function schedule() {
    timer = setTimeout(() => {
      running = sweepOnce()
        .catch((err) => deps.onError?.(err))
        .finally(() => {
          if (timer) schedule();
        });
    }, deps.intervalMs);
    timer.unref();
  }

  return {
    sweepOnce,
    start: () => {
      if (!timer) schedule();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
