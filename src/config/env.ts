import { z } from 'zod';
import { EXTERNAL_ALGORITHMS, parseRoleMap } from '../domain/external-identity.js';

// The only module that reads process.env (enforced by lint). Fails fast with a message that
// names every bad variable.
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional())
  .optional();

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: optionalUrl,
    DATABASE_ADMIN_URL: optionalUrl,
    DATABASE_PLATFORM_URL: optionalUrl,
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    DB_PLATFORM_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(4),
    // Named prepared statements; turn off behind PgBouncer older than 1.21 in transaction mode.
    DB_PREPARED_STATEMENTS: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
    PLATFORM_ADMIN_EMAIL: z.email().default('admin@localhost'),
    PLATFORM_ADMIN_PASSWORD: z.string().min(12).optional(),
    JWT_ISSUER: z.string().min(1).default('tenantry'),
    JWT_AUDIENCE: z.string().min(1).default('tenantry-api'),
    JWT_PRIVATE_KEY: z.string().optional(),
    JWT_KEY_ID: z.string().optional(),
    // Key rotation: a JWK set of Ed25519 private keys with kids, or a kid:<PEM> list; the last signs, all verify.
    JWT_SIGNING_KEYS: z.string().optional(),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(900).default(900),
    // An external identity provider whose access tokens the API also accepts (all of URL,
    // issuer and audience, or none).
    AUTH_JWKS_URL: optionalUrl,
    AUTH_ISSUER: z.string().trim().min(1).optional(),
    AUTH_AUDIENCE: z.string().trim().min(1).optional(),
    // Claim names; a name the token does not have as a key is read as a dotted path
    // (app_metadata.tenant, realm_access.roles).
    AUTH_TENANT_CLAIM: z.string().trim().min(1).default('tenant'),
    AUTH_ROLE_CLAIM: z.string().trim().min(1).default('role'),
    // idp-role=tenant-role pairs, comma-separated; unset: the claim must name a Tenantry role.
    AUTH_ROLE_MAP: z.string().trim().optional(),
    AUTH_ALGORITHMS: z
      .string()
      .default('RS256')
      .transform((v) => v.split(',').map((a) => a.trim()))
      .pipe(z.array(z.enum(EXTERNAL_ALGORITHMS)).min(1)),
    // The header typ the provider's access tokens must carry (e.g. at+jwt); unset: not checked.
    AUTH_TOKEN_TYPE: z.string().trim().min(1).optional(),
    AUTH_MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().min(30).max(86_400).default(3600),
    AUTH_JWKS_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(2000),
    AUTH_JWKS_COOLDOWN_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    AUTH_JWKS_CACHE_MAX_AGE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
    // Each tenant's access tokens signed by a key of its own, its private half encrypted at rest
    // with TENANT_KEY_ENCRYPTION_KEY (32 bytes, hex or base64; generated under DATA_DIR when unset).
    TENANT_SIGNING_KEYS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    TENANT_KEY_ENCRYPTION_KEY: z.string().trim().min(1).optional(),
    REDIS_URL: optionalUrl,
    // Behind a load balancer: the client address is the last X-Forwarded-For entry it added.
    TRUST_PROXY: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    // Sign-in may name the tenant by subdomain: <slug>.<TENANT_BASE_DOMAIN>.
    TENANT_BASE_DOMAIN: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^([a-z0-9-]+\.)*[a-z0-9-]+$/, 'a domain name such as schools.example')
      .optional(),
    // Login flood protection: failures allowed per account / per client address before the
    // first block, then blocks of base × 2^k ms up to the cap; failures forgotten after the window.
    LOGIN_ACCOUNT_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    LOGIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).default(20),
    LOGIN_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(1000),
    LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    // Password hashes computed at once (default: half the cores) and allowed to wait.
    PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
    PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(10_000).optional(),
    // Scheduling priority of the hashing threads (Linux nice, 0–19): busy cores serve requests first.
    PASSWORD_HASH_NICE: z.coerce.number().int().min(0).max(19).default(10),
    OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(500),
    // A failing event is retried with exponential backoff and full jitter (base · 2^(n-1), capped),
    // then dead-lettered after the last attempt.
    OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
    OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
    OUTBOX_RETRY_MAX_MS: z.coerce.number().int().min(1).default(3_600_000),
    // Self-service registration (POST /api/v1/tenants/register), and how many tenants one
    // client address may register per hour.
    ALLOW_SELF_SIGNUP: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    SELF_SIGNUP_MAX_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(5),
    // Days a deleted tenant stays restorable; the sweep purges it after that.
    TENANT_GRACE_DAYS: z.coerce.number().min(0).max(3650).default(30),
    TENANT_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(3_600_000),
    // A tenant import streams, so its size bounds time and the transaction, not memory.
    IMPORT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 ** 3),
    // The longest a request may take to arrive whole (Node's requestTimeout; 0 = no limit). An
    // import's body arrives only as fast as it is written, so a large one needs more than the default.
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
    // After SIGTERM/SIGINT: serve (readiness 503) this long, then wait this long for requests in flight.
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).optional(),
    // Tenants with their own label in the per-tenant request metric (the rest are "other").
    METRICS_TOP_TENANTS: z.coerce.number().int().min(0).max(1000).default(20),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    // On a Citus coordinator, distribute the schema by tenant_id at every migration run.
    /** Platform actions on a tenant must say why (X-Audit-Reason), else 400. */
    REQUIRE_AUDIT_REASON: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    CITUS_DISTRIBUTE: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  })
  .superRefine((env, ctx) => {
    const urls = {
      DATABASE_URL: env.DATABASE_URL,
      DATABASE_ADMIN_URL: env.DATABASE_ADMIN_URL,
      DATABASE_PLATFORM_URL: env.DATABASE_PLATFORM_URL,
    };
    const missing = Object.entries(urls)
      .filter(([, v]) => !v)
      .map(([k]) => k);
    const idp = { AUTH_JWKS_URL: env.AUTH_JWKS_URL, AUTH_ISSUER: env.AUTH_ISSUER, AUTH_AUDIENCE: env.AUTH_AUDIENCE };
    const idpMissing = Object.entries(idp)
      .filter(([, v]) => !v)
      .map(([k]) => k);
    if (idpMissing.length > 0 && idpMissing.length < 3) {
      ctx.addIssue({
        code: 'custom',
        path: [idpMissing[0]!],
        message: `an external identity provider needs all of AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE; missing: ${idpMissing.join(', ')}`,
      });
    }
    if (env.AUTH_ROLE_MAP) {
      try {
        parseRoleMap(env.AUTH_ROLE_MAP);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['AUTH_ROLE_MAP'], message: (err as Error).message });
      }
    }
    if (missing.length > 0 && missing.length < 3) {
      ctx.addIssue({
        code: 'custom',
        path: [missing[0]!],
        message: `set all three of DATABASE_URL (runtime login), DATABASE_ADMIN_URL (owner) and DATABASE_PLATFORM_URL (platform login), or none for the embedded PostgreSQL; missing: ${missing.join(', ')}`,
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function loadEnv(): Env {
  return parseEnv(process.env);
}
