import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Env } from './config/env.js';
import { loadKeyEncryptionKey, loadSigningKeys } from './config/keys.js';
import { createBulkTransactions } from './db/bulk-transactions.js';
import type { DbClients } from './db/client.js';
import {
  createTransactionRunner,
  type PlatformRunner,
  type TenantRunner,
  type TransactionRunner,
} from './db/context.js';
import { createDispatcher, type Dispatcher, type Subscribers } from './events/dispatcher.js';
import { defaultSubscribers } from './events/subscribers.js';
import type { AppServices } from './http/types.js';
import { createAuditService } from './services/audit.js';
import { createAuthService } from './services/auth.js';
import { createCourseService } from './services/courses.js';
import { createCurrentTenantService } from './services/current-tenant.js';
import { createEnrollmentService } from './services/enrollments.js';
import { createEventService } from './services/events.js';
import { createExternalTokenVerifier } from './services/external-tokens.js';
import { createExternalUsers } from './services/external-users.js';
import { createHashWorkers } from './services/hash-workers.js';
import { createKeyEncryption } from './services/key-encryption.js';
import { memoryAttemptStore, redisAttemptStore, withFallback } from './services/login-attempts.js';
import { createLoginGuard } from './services/login-guard.js';
import { createHashQueue, createPasswords, defaultHashConcurrency } from './services/passwords.js';
import { createRateLimitService } from './services/rate-limit.js';
import { createRefreshTokens } from './services/refresh-tokens.js';
import { createRegistrationService } from './services/registration.js';
import { createStudentService } from './services/students.js';
import { createTenantCache } from './services/tenant-cache.js';
import { createTenantKeys } from './services/tenant-keys.js';
import { createTenantProfiles } from './services/tenant-profiles.js';
import { createTenantSweeper, type TenantSweeper } from './services/tenant-sweep.js';
import { createTenantTransferService } from './services/tenant-transfer.js';
import { createTenantUsageService } from './services/tenant-usage.js';
import { createTenantService } from './services/tenants.js';
import { createTokenService } from './services/tokens.js';
import { createUserService } from './services/users.js';

export interface Wired {
  services: AppServices;
  dispatcher: Dispatcher;
  /** Purges deleted tenants at the end of their grace period. */
  sweeper: TenantSweeper;
  /** Both planes' runners, for the server's own work and for tests; never handed to a request. */
  runner: TransactionRunner;
}

/** The settings wireServices reads. */
export type WiringEnv = Pick<
  Env,
  | 'DATA_DIR'
  | 'JWT_PRIVATE_KEY'
  | 'JWT_KEY_ID'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
  | 'ACCESS_TOKEN_TTL_SECONDS'
  | 'OUTBOX_POLL_MS'
  | 'OUTBOX_MAX_ATTEMPTS'
  | 'OUTBOX_RETRY_BASE_MS'
  | 'OUTBOX_RETRY_MAX_MS'
  | 'TENANT_GRACE_DAYS'
  | 'TENANT_SWEEP_INTERVAL_MS'
> &
  Partial<
    Pick<
      Env,
      | 'LOGIN_ACCOUNT_MAX_FAILURES'
      | 'LOGIN_ADDRESS_MAX_FAILURES'
      | 'LOGIN_BACKOFF_BASE_MS'
      | 'LOGIN_BACKOFF_MAX_SECONDS'
      | 'LOGIN_FAILURE_WINDOW_SECONDS'
      | 'PASSWORD_HASH_CONCURRENCY'
      | 'PASSWORD_HASH_QUEUE'
      | 'PASSWORD_HASH_NICE'
      | 'JWT_SIGNING_KEYS'
      | 'IMPORT_MAX_BYTES'
      | 'REQUIRE_AUDIT_REASON'
      | 'AUTH_JWKS_URL'
      | 'AUTH_ISSUER'
      | 'AUTH_AUDIENCE'
      | 'AUTH_TENANT_CLAIM'
      | 'AUTH_ROLE_CLAIM'
      | 'AUTH_ROLE_MAP'
      | 'AUTH_ALGORITHMS'
      | 'AUTH_TOKEN_TYPE'
      | 'AUTH_MAX_TOKEN_AGE_SECONDS'
      | 'AUTH_JWKS_TIMEOUT_MS'
      | 'AUTH_JWKS_COOLDOWN_MS'
      | 'AUTH_JWKS_CACHE_MAX_AGE_MS'
      | 'TENANT_SIGNING_KEYS'
      | 'TENANT_KEY_ENCRYPTION_KEY'
      | 'ALLOW_SELF_SIGNUP'
      | 'SELF_SIGNUP_MAX_PER_HOUR'
    >
  >;

/** Builds every service once, from plain factories (no container, no module singletons). */
export async function wireServices(
  env: WiringEnv,
  clients: DbClients,
  logger: Logger,
  shared: { redis?: Redis; subscriber?: Redis; subscribers?: Subscribers } = {},
): Promise<Wired> {
  const runner = createTransactionRunner(clients, { statementTimeoutMs: clients.statementTimeoutMs });
  // Each plane's runner on its own, so a service holds only the plane it works on.
  const tenantDb = { tenant: runner.tenant };
  const platformDb = { platform: runner.platform };
  const keys = await loadSigningKeys({
    privateKey: env.JWT_PRIVATE_KEY,
    keyId: env.JWT_KEY_ID,
    keySet: env.JWT_SIGNING_KEYS,
    dataDir: env.DATA_DIR,
  });
  const cache = createTenantCache({
    redis: shared.redis,
    subscriber: shared.subscriber,
    onError: (err) => logger.warn({ err: { message: (err as Error).message } }, 'tenant cache invalidation not shared'),
  });
  const tenantKeys = env.TENANT_SIGNING_KEYS
    ? createTenantKeys({
        tenantDb,
        platformDb,
        cache,
        encryption: createKeyEncryption(
          loadKeyEncryptionKey({ value: env.TENANT_KEY_ENCRYPTION_KEY, dataDir: env.DATA_DIR }),
        ),
        ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      })
    : undefined;
  const tokens = createTokenService({
    keys,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    external: externalIdentityProvider(env, { tenantDb, platformDb }, logger),
    tenantKeys,
  });
  const dispatcher = createDispatcher({
    db: platformDb,
    subscribers: shared.subscribers ?? defaultSubscribers,
    pollMs: env.OUTBOX_POLL_MS,
    retry: { maxAttempts: env.OUTBOX_MAX_ATTEMPTS, baseMs: env.OUTBOX_RETRY_BASE_MS, maxMs: env.OUTBOX_RETRY_MAX_MS },
    onError: (err, event) => logger.error({ err, eventId: event?.id, type: event?.type }, 'outbox delivery failed'),
  });
  const tenantProfiles = createTenantProfiles({ tenantDb, cache });
  const concurrency = env.PASSWORD_HASH_CONCURRENCY ?? defaultHashConcurrency();
  const passwords = createPasswords(
    createHashQueue({ concurrency, maxWaiting: env.PASSWORD_HASH_QUEUE ?? concurrency * 8 }),
    createHashWorkers(concurrency, env.PASSWORD_HASH_NICE ?? 10),
  );
  const backoff = {
    baseMs: env.LOGIN_BACKOFF_BASE_MS ?? 1000,
    capMs: (env.LOGIN_BACKOFF_MAX_SECONDS ?? 60) * 1000,
    windowMs: (env.LOGIN_FAILURE_WINDOW_SECONDS ?? 900) * 1000,
  };
  const loginGuard = createLoginGuard({
    store: shared.redis
      ? withFallback(redisAttemptStore(shared.redis), memoryAttemptStore(), (err) =>
          logger.warn(
            { err: { message: (err as Error).message } },
            'redis unavailable: login counters on this instance',
          ),
        )
      : memoryAttemptStore(),
    account: { ...backoff, threshold: env.LOGIN_ACCOUNT_MAX_FAILURES ?? 5 },
    address: { ...backoff, threshold: env.LOGIN_ADDRESS_MAX_FAILURES ?? 20 },
    onFailure: (failure) => logger.warn({ login: failure }, 'login failed'),
  });
  const tenants = createTenantService({
    db: platformDb,
    graceDays: env.TENANT_GRACE_DAYS,
    onEvents: () => dispatcher.kick(),
    onTenantChanged: (id) => tenantProfiles.invalidate(id),
    hashPassword: passwords.hash,
    newSigningKey: tenantKeys?.newKey,
  });
  const services: AppServices = {
    tenantDb,
    tenantProfiles,
    tokens,
    auth: createAuthService({
      tenantDb,
      platformDb,
      tokens,
      refresh: createRefreshTokens({ tenantDb, platformDb }),
      passwords,
      guard: loginGuard,
    }),
    loginGuard,
    passwords,
    tenants,
    registration: createRegistrationService({
      enabled: env.ALLOW_SELF_SIGNUP ?? false,
      tenants,
      perAddress: env.SELF_SIGNUP_MAX_PER_HOUR ?? 5,
      limiter: createRateLimitService({ redis: shared.redis, windowSeconds: 3600, keyPrefix: 'tenantry:signup' }),
    }),
    tenantKeys,
    transfer: createTenantTransferService({
      bulk: createBulkTransactions(clients),
      tenantDb,
      platformDb,
      importLimits: { maxBytes: env.IMPORT_MAX_BYTES },
    }),
    usage: createTenantUsageService({ db: platformDb }),
    events: createEventService({ db: platformDb, onRetry: () => dispatcher.kick() }),
    students: createStudentService(),
    currentTenant: createCurrentTenantService(),
    audit: createAuditService({ requireReason: env.REQUIRE_AUDIT_REASON ?? false }),
    courses: createCourseService(),
    enrollments: createEnrollmentService(),
    users: createUserService({ passwords }),
    rateLimit: createRateLimitService({
      redis: shared.redis,
      // Logged once per outage; every decision taken meanwhile is counted in the metrics.
      onOutage: (err) =>
        logger.error(
          { err: { message: (err as Error).message } },
          'redis unavailable: rate limits fall back to this instance',
        ),
      onRecovery: (outageMs) => logger.warn({ outageMs }, 'redis available again: rate limits shared'),
    }),
  };
  const sweeper = createTenantSweeper({
    sweep: () => services.tenants.sweep(),
    intervalMs: env.TENANT_SWEEP_INTERVAL_MS,
    onPurged: (ids) => logger.info({ tenantIds: ids }, 'deleted tenants purged at the end of their grace period'),
    onError: (err) => logger.error({ err }, 'tenant sweep failed'),
  });
  return { services, dispatcher, sweeper, runner };
}

/** The external identity provider's token path, when AUTH_JWKS_URL (with issuer and audience) is set. */
function externalIdentityProvider(
  env: WiringEnv,
  db: { tenantDb: TenantRunner; platformDb: PlatformRunner },
  logger: Logger,
) {
  if (!env.AUTH_JWKS_URL || !env.AUTH_ISSUER || !env.AUTH_AUDIENCE) return undefined;
  const algorithms = env.AUTH_ALGORITHMS ?? ['RS256'];
  const verifier = createExternalTokenVerifier({
    jwksUrl: env.AUTH_JWKS_URL,
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    algorithms,
    tenantClaim: env.AUTH_TENANT_CLAIM ?? 'tenant',
    roleClaim: env.AUTH_ROLE_CLAIM ?? 'role',
    roleMap: env.AUTH_ROLE_MAP,
    tokenType: env.AUTH_TOKEN_TYPE,
    maxTokenAgeSeconds: env.AUTH_MAX_TOKEN_AGE_SECONDS ?? 3600,
    timeoutMs: env.AUTH_JWKS_TIMEOUT_MS ?? 2000,
    cooldownMs: env.AUTH_JWKS_COOLDOWN_MS ?? 30_000,
    cacheMaxAgeMs: env.AUTH_JWKS_CACHE_MAX_AGE_MS ?? 600_000,
    onProviderDown: (reason) =>
      logger.warn({ jwksUrl: env.AUTH_JWKS_URL, reason }, 'identity provider key set unavailable'),
  });
  const users = createExternalUsers(db);
  return {
    algorithms,
    async verify(token: string) {
      const { identity, expiresAt } = await verifier.verify(token);
      return { principal: await users.principalFor(identity), expiresAt };
    },
  };
}
