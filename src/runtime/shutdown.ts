import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/** One step of the shutdown after the listener closed, in order (outbox, pools, database). */
export interface ShutdownStep {
  name: string;
  run(): Promise<unknown>;
  /** Bound on the step; a step that takes longer is abandoned (logged) and the next one runs. */
  timeoutMs?: number;
}

export interface GracefulShutdown {
  /** True from the first signal on: readiness answers 503 so load balancers stop routing here. */
  readonly draining: boolean;
  /** Requests accepted and not yet answered. */
  readonly inFlight: number;
  /** Runs the shutdown once (later calls return the same promise); resolves with the exit code. */
  run(reason: string): Promise<number>;
}

/**
 * Graceful shutdown of a listening server: readiness turns 503 at once, the server keeps
 * serving for `drainMs` (responses then carry `Connection: close`, so clients reconnect
 * elsewhere), then stops accepting, waits up to `timeoutMs` for requests in flight, and runs
 * the remaining steps (flush the outbox, close the pools, stop the embedded PostgreSQL).
 */
export function createGracefulShutdown(opts: {
  server: Server;
  logger: Logger;
  drainMs: number;
  timeoutMs: number;
  steps: ShutdownStep[];
}): GracefulShutdown {
  let draining = false;
  let inFlight = 0;
  let running: Promise<number> | undefined;

  opts.server.on('request', (_req, res) => {
    inFlight++;
    if (draining && !res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => inFlight--);
  });

  async function closeListener(): Promise<void> {
    const closed = new Promise<void>((resolve) => opts.server.close(() => resolve()));
    // close() only stops accepting and drops idle keep-alive sockets; busy ones end with
    // their response (Connection: close) or when the bound is reached.
    opts.server.closeIdleConnections();
    const idleSweep = setInterval(() => opts.server.closeIdleConnections(), 50);
    const bounded = await Promise.race([closed.then(() => true), sleep(opts.timeoutMs).then(() => false)]);
    clearInterval(idleSweep);
    if (!bounded) {
      opts.logger.warn({ inFlight }, 'requests still in flight after the shutdown timeout; closing their connections');
      opts.server.closeAllConnections();
      await closed;
    }
  }

  async function runSteps(): Promise<number> {
    let code = 0;
    for (const step of opts.steps) {
      try {
        const bound = step.timeoutMs ?? opts.timeoutMs;
        const done = await Promise.race([step.run().then(() => true), sleep(bound).then(() => false)]);
        if (!done) {
          opts.logger.warn({ step: step.name, timeoutMs: bound }, 'shutdown step timed out');
          code = 1;
        }
      } catch (err) {
        opts.logger.error({ err, step: step.name }, 'shutdown step failed');
        code = 1;
      }
    }
    return code;
  }

  return {
    get draining() {
      return draining;
    },
    get inFlight() {
      return inFlight;
    },
    run(reason: string) {
      running ??= (async () => {
        draining = true;
        const started = performance.now();
        opts.logger.info({ reason, drainMs: opts.drainMs, inFlight }, 'shutting down: draining');
        if (opts.drainMs > 0) await sleep(opts.drainMs);
        opts.logger.info({ inFlight }, 'shutting down: listener closed, waiting for requests in flight');
        await closeListener();
        const code = await runSteps();
        opts.logger.info({ ms: Math.round(performance.now() - started), code }, 'shut down');
        return code;
      })();
      return running;
    },
  };
}

/**
 * Unhandled rejections and exceptions are programmer errors: logged with their stack, then the
 * process ends with a non-zero code (after `cleanup`, bounded, when given).
 */
export function installCrashHandlers(logger: Logger, cleanup?: () => Promise<unknown>, exit = process.exit) {
  let crashed = false;
  const crash = (kind: string) => (err: unknown) => {
    logger.fatal({ err }, kind);
    if (crashed) return;
    crashed = true;
    const done = () => exit(1);
    if (!cleanup) return done();
    Promise.race([cleanup(), sleep(5000)]).then(done, done);
  };
  process.on('unhandledRejection', crash('unhandled rejection'));
  process.on('uncaughtException', crash('uncaught exception'));
}
