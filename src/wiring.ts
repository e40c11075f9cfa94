import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Env } from './config/env.js';
import { loadSigningKeys } from './config/keys.js';
import { createBulkTransactions } from './db/bulk-transactions.js';
import type { DbClients } from './db/client.js';
import { createTransactionRunner } from './db/context.js';
import { createDispatcher, type Dispatcher } from './events/dispatcher.js';
import { defaultSubscribers } from './events/subscribers.js';
import type { AppServices } from './http/types.js';
import { createAuthService } from './services/auth.js';
import { createCourseService } from './services/courses.js';
import { createCurrentTenantService } from './services/current-tenant.js';
import { createEnrollmentService } from './services/enrollments.js';
import { createRateLimitService } from './services/rate-limit.js';
import { createRefreshTokens } from './services/refresh-tokens.js';
import { createStudentService } from './services/students.js';
import { createTenantTransferService } from './services/tenant-transfer.js';
import { createTenantUsageService } from './services/tenant-usage.js';
import { createTenantService } from './services/tenants.js';
import { createTokenService } from './services/tokens.js';
import { createUserService } from './services/users.js';

export interface Wired {
  services: AppServices;
  dispatcher: Dispatcher;
}

/** Builds every service once, from plain factories (no container, no module singletons). */
export async function wireServices(
  env: Pick<
    Env,
    | 'DATA_DIR'
    | 'JWT_PRIVATE_KEY'
    | 'JWT_KEY_ID'
    | 'JWT_ISSUER'
    | 'JWT_AUDIENCE'
    | 'ACCESS_TOKEN_TTL_SECONDS'
    | 'OUTBOX_POLL_MS'
  >,
  clients: DbClients,
  logger: Logger,
  shared: { redis?: Redis } = {},
): Promise<Wired> {
  const db = createTransactionRunner(clients, { statementTimeoutMs: clients.statementTimeoutMs });
  const keys = await loadSigningKeys({ privateKey: env.JWT_PRIVATE_KEY, keyId: env.JWT_KEY_ID, dataDir: env.DATA_DIR });
  const tokens = createTokenService({
    keys,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
  });
  const dispatcher = createDispatcher({
    db,
    subscribers: defaultSubscribers,
    pollMs: env.OUTBOX_POLL_MS,
    onError: (err, event) => logger.error({ err, eventId: event?.id, type: event?.type }, 'outbox delivery failed'),
  });
  const services: AppServices = {
    db,
    tokens,
    auth: createAuthService({ db, tokens, refresh: createRefreshTokens({ db }) }),
    tenants: createTenantService({ db, onEvents: () => dispatcher.kick() }),
    transfer: createTenantTransferService({ bulk: createBulkTransactions(clients) }),
    usage: createTenantUsageService({ db }),
    students: createStudentService(),
    currentTenant: createCurrentTenantService(),
    courses: createCourseService(),
    enrollments: createEnrollmentService(),
    users: createUserService(),
    rateLimit: createRateLimitService({ redis: shared.redis }),
  };
  return { services, dispatcher };
}
