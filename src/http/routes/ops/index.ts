import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { AppEnv } from '../../types.js';
import { docsRouter } from './docs.js';

export interface Probe {
  name: string;
  check(): Promise<void>;
  /** A failing optional probe is reported as `degraded` and keeps the instance ready. */
  optional?: boolean;
}

/** Liveness, readiness (database and, when configured, Redis), metrics, JWKS and the API reference. */
export function opsRouter(probes: Probe[], registry: Registry) {
  const router = new Hono<AppEnv>();
  router.get('/health/live', (c) => c.json({ status: 'ok' }));
  router.get('/health/ready', async (c) => {
    const checks: Record<string, string> = {};
    let ok = true;
    for (const probe of probes) {
      // After a failing required probe the answer is known: a draining instance says so at once.
      if (!ok) {
        checks[probe.name] = 'skipped';
        continue;
      }
      try {
        await probe.check();
        checks[probe.name] = 'ok';
      } catch {
        checks[probe.name] = probe.optional ? 'degraded' : 'unavailable';
        if (!probe.optional) ok = false;
      }
    }
    return c.json({ status: ok ? 'ok' : 'unavailable', checks }, ok ? 200 : 503);
  });
  router.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics());
  });
  router.get('/.well-known/jwks.json', async (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(await c.get('services').tokens.jwks());
  });
  router.route('/', docsRouter());
  return router;
}
