import { randomBytes } from 'node:crypto';
import { type Logger, pino } from 'pino';
import { inject } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { createDbClients, type DbClients } from '../../src/db/client.js';
import type { TransactionRunner } from '../../src/db/context.js';
import { ensurePlatformAdmin } from '../../src/db/platform-admins.js';
import type { Principal } from '../../src/domain/roles.js';
import type { PlanInput } from '../../src/domain/tenant/plans.js';
import type { Dispatcher, Subscribers } from '../../src/events/dispatcher.js';
import { createMetrics } from '../../src/http/metrics.js';
import type { AppServices } from '../../src/http/types.js';
import { hashPassword, verifyPassword } from '../../src/services/passwords.js';
import { type WiringEnv, wireServices } from '../../src/wiring.js';
import type { TestDatabase } from './global-setup.js';

export interface TestTenant {
  id: string;
  slug: string;
  adminId: string;
  adminEmail: string;
  adminPassword: string;
  /** A real access token of the tenant's first admin, signed by the app's key. */
  token: string;
}

export interface Harness {
  app: App;
  services: AppServices;
  dispatcher: Dispatcher;
  /** Both planes' transaction runners, for assertions (the app's requests never get the platform one). */
  runner: TransactionRunner;
  clients: DbClients;
  db: TestDatabase;
  platformAdminId: string;
  platformEmail: string;
  platformToken: string;
  /** Real HTTP through app.request(), JSON in and out. */
  request(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Creates a fresh tenant with a random slug through the API (as a platform admin). */
  createTenant(opts?: { plan?: PlanInput }): Promise<TestTenant>;
  /** Mints a token for a principal with the app's own key (same as login would issue). */
  tokenFor(principal: Principal): Promise<string>;
  close(): Promise<void>;
}

export const randomSlug = (prefix = 't') => `${prefix}-${randomBytes(6).toString('hex')}`;

/** One app on the shared test database, connected as the runtime role. */
export function createHarness(opts: AppOnOptions = {}): Promise<Harness> {
  return createHarnessOn(inject('db'), opts);
}

/** Creates (or resets the password of) a platform admin the only way there is: as the owner. */
export const createPlatformAdmin = (db: Pick<TestDatabase, 'adminUrl'>, email: string, password: string) =>
  ensurePlatformAdmin(db.adminUrl, { email, password, passwords: { hash: hashPassword, verify: verifyPassword } });

export interface AppOnOptions {
  poolSize?: number;
  /** The platform login's pool; 4 unless given. */
  platformPoolSize?: number;
  statementTimeoutMs?: number;
  preparedStatements?: boolean;
  /** The outbox's retry policy (10 attempts, 1 s base, 1 h cap unless given). */
  outbox?: { maxAttempts?: number; baseMs?: number; maxMs?: number };
  /** Subscribers in place of the defaults (a failing one, to see dead letters). */
  subscribers?: Subscribers;
  /** Days a deleted tenant stays restorable (30 unless given). */
  tenantGraceDays?: number;
  /** Silent by default; pass one to see the app's own error log while diagnosing. */
  logger?: Logger;
  /** Settings beyond the defaults (login flood thresholds, hashing queue, keys …). */
  env?: Partial<WiringEnv>;
}

/**
 * The app and helpers on a database of the caller's choosing: runtime and platform URLs
 * through PgBouncer, or a separate cluster that a fault test may stop.
 */
export async function createHarnessOn(db: TestDatabase, opts: AppOnOptions = {}): Promise<Harness> {
  const logger = opts.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const clients = createDbClients({
    url: db.runtimeUrl,
    platformUrl: db.platformUrl,
    poolSize: opts.poolSize ?? 5,
    platformPoolSize: opts.platformPoolSize ?? 4,
    statementTimeoutMs: opts.statementTimeoutMs ?? 15_000,
    preparedStatements: opts.preparedStatements,
  });
  const { services, dispatcher, runner } = await wireServices(
    {
      DATA_DIR: db.dataDir,
      JWT_ISSUER: 'tenantry',
      JWT_AUDIENCE: 'tenantry-api',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      OUTBOX_POLL_MS: 50,
      OUTBOX_MAX_ATTEMPTS: opts.outbox?.maxAttempts ?? 10,
      OUTBOX_RETRY_BASE_MS: opts.outbox?.baseMs ?? 1000,
      OUTBOX_RETRY_MAX_MS: opts.outbox?.maxMs ?? 3_600_000,
      TENANT_GRACE_DAYS: opts.tenantGraceDays ?? 30,
      TENANT_SWEEP_INTERVAL_MS: 3_600_000,
      JWT_PRIVATE_KEY: undefined,
      JWT_KEY_ID: undefined,
      // Test files run side by side on shared cores: hashing at normal priority and on as many
      // threads as libuv would use, so parallel files do not starve each other's logins.
      PASSWORD_HASH_CONCURRENCY: 4,
      PASSWORD_HASH_NICE: 0,
      ...opts.env,
    },
    clients,
    logger,
    { subscribers: opts.subscribers },
  );
  const email = `admin-${randomBytes(4).toString('hex')}@platform.test`;
  await createPlatformAdmin(db, email, 'platform-password-1');
  const login = await services.auth.platformLogin({ email, password: 'platform-password-1' }, 'local');
  const platformPrincipal = await services.tokens.verify(login.accessToken);
  const metrics = createMetrics({
    rateLimit: services.rateLimit,
    login: services,
    outbox: { stats: () => services.events.stats(), counts: () => dispatcher.counts() },
  });
  // X-Forwarded-For is trusted so tests can speak as several client addresses.
  const app = createApp({ services, logger, metrics, trustProxy: true });

  const request: Harness['request'] = (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(app.request(path, { method, headers, body }));
  };

  return {
    app,
    services,
    dispatcher,
    runner,
    clients,
    db,
    platformAdminId: platformPrincipal.userId,
    platformEmail: email,
    platformToken: login.accessToken,
    request,
    tokenFor: async (principal) => (await services.tokens.issue(principal)).accessToken,
    async createTenant(o = {}) {
      const slug = randomSlug();
      const adminEmail = `admin@${slug}.test`;
      const adminPassword = 'tenant-password-1';
      const res = await request('POST', '/api/v1/tenants', {
        token: login.accessToken,
        body: {
          name: `School ${slug}`,
          slug,
          plan: o.plan,
          admin: { email: adminEmail, password: adminPassword, name: 'Admin' },
        },
      });
      if (res.status !== 201) throw new Error(`createTenant: ${res.status} ${await res.text()}`);
      const created = (await res.json()) as { tenant: { id: string }; admin: { id: string } };
      const principal = {
        kind: 'tenant',
        tenantId: created.tenant.id,
        userId: created.admin.id,
        role: 'tenant_admin',
      } as const;
      const token = (await services.tokens.issue(principal)).accessToken;
      return { id: created.tenant.id, slug, adminId: created.admin.id, adminEmail, adminPassword, token };
    },
    async close() {
      await dispatcher.stop();
      await clients.close();
    },
  };
}
