import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** The harness's services behind an app of its own, with a log and metrics the test reads. */
function observedApp(topTenants: number) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const metrics = createMetrics({ rateLimit: h.services.rateLimit, topTenants, outboxLag: () => 1.5 });
  const app = createApp({ services: h.services, logger: pino({ level: 'info' }, sink), metrics });
  const call = (method: string, path: string, token?: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  const scrape = async () => (await (await app.request('/metrics')).text()) as string;
  return { lines, call, scrape };
}

describe('request log and metrics', () => {
  it('when requests are served, then each has one log line with the route template, status and duration', async () => {
    const t = await h.createTenant();
    const o = observedApp(20);
    const id = crypto.randomUUID();
    expect((await o.call('GET', `/api/v1/students/${id}`, t.token)).status).toBe(404);
    const logged = o.lines.filter((l) => l.msg === 'request');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ method: 'GET', route: '/api/v1/students/:id', status: 404 });
    expect(typeof logged[0]!.ms).toBe('number');
    expect(JSON.stringify(o.lines)).not.toContain(id);
  });

  it('when tenants, transactions and failed sign-ins happen, then the metrics carry status, tenant, transaction, lag and login failures', async () => {
    const [a, b, c] = [await h.createTenant(), await h.createTenant(), await h.createTenant()];
    const o = observedApp(2);
    for (const [tenant, n] of [
      [a, 5],
      [b, 3],
      [c, 1],
    ] as const) {
      for (let i = 0; i < n; i++) expect((await o.call('GET', '/api/v1/students', tenant.token)).status).toBe(200);
    }
    const refused = await o.call('POST', '/api/v1/auth/login', undefined, {
      tenant: a.slug,
      email: a.adminEmail,
      password: 'not-the-password',
    });
    expect(refused.status).toBe(401);
    const text = await o.scrape();
    expect(text).toMatch(
      /tenantry_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/students",status="200"\} 9/,
    );
    expect(text).toMatch(new RegExp(`tenantry_tenant_request_duration_seconds_count\\{tenant="${a.id}"\\} 5`));
    expect(text).toMatch(new RegExp(`tenantry_tenant_request_duration_seconds_count\\{tenant="${b.id}"\\} 3`));
    expect(text).toMatch(/tenantry_tenant_request_duration_seconds_count\{tenant="other"\} 1/);
    expect(text).not.toContain(c.id);
    expect(text).toMatch(/tenantry_tenant_transaction_duration_seconds_count 9/);
    expect(text).toMatch(/tenantry_login_failures_total\{plane="tenant"\} 1/);
    expect(text).toMatch(/tenantry_outbox_lag_seconds 1\.5/);
    expect(text).toMatch(/tenantry_rate_limit_rejections_total \d+/);
  });
});
