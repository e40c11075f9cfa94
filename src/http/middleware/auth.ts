import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { DomainError, Errors } from '../../domain/errors.js';
import type { Feature } from '../../domain/tenant/plans.js';
import { type AuditIntent, recordInTenant } from '../../services/audit.js';
import type { AppEnv } from '../types.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/** Verifies the Bearer access token; the principal comes from the verified token only. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization');
  const match = BEARER.exec(header ?? '');
  if (!match?.[1]) {
    // Something that is not a well-formed Bearer token was sent: a refused token (RFC 6750).
    if (header !== undefined && /^bearer\s/i.test(header)) throw Errors.invalidToken('malformed Bearer token');
    throw Errors.unauthorized('a Bearer access token is required');
  }
  const principal = await c.get('services').tokens.verify(match[1]);
  c.set('principal', principal);
  c.set(
    'logger',
    c
      .get('logger')
      .child({ userId: principal.userId, tenantId: principal.kind === 'tenant' ? principal.tenantId : null }),
  );
  await next();
});

function tenantOf(c: Context<AppEnv>) {
  const principal = c.get('principal');
  if (principal.kind !== 'tenant') throw Errors.forbidden('this route is for tenant users');
  return principal;
}

/**
 * Every tenant request passes here before a database connection is taken: headers naming
 * another tenant are refused (invariant 8), then the tenant's request budget is consumed. The
 * tenant's slug and limits come from the profile cache; a miss is read under the caller's own
 * context, so a suspended tenant or a deleted user is refused there by the database.
 */
export const tenantGate = createMiddleware<AppEnv>(async (c, next) => {
  const { tenantId, userId, role, issuedAt } = tenantOf(c);
  const id = c.req.header('x-tenant-id');
  if (id !== undefined && id.toLowerCase() !== tenantId) throw Errors.tenantMismatch();
  const services = c.get('services');
  const profile = await services.tenantProfiles.get({ tenantId, userId, role, issuedAt });
  c.set('tenantProfile', profile);
  const slug = c.req.header('x-tenant-slug');
  if (slug !== undefined && slug !== profile.slug) throw Errors.tenantMismatch();
  const decision = await services.rateLimit.consume(tenantId, profile.limits.requestsPerMinute);
  c.header('RateLimit-Limit', String(decision.limit));
  c.header('RateLimit-Remaining', String(decision.remaining));
  c.header('RateLimit-Reset', String(decision.resetSeconds));
  if (!decision.allowed) {
    c.header('Retry-After', String(decision.resetSeconds));
    throw Errors.rateLimited(decision.resetSeconds);
  }
  await next();
});

/**
 * Refuses a tenant caller whose plan lacks the route's feature (403 feature_disabled), from the
 * profile the tenant gate read, before any transaction opens. Platform admins are not gated.
 */
export const requireFeature = (feature: Feature) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const profile = c.get('tenantProfile');
    if (c.get('principal').kind === 'tenant' && profile && !profile.features[feature]) {
      throw Errors.featureDisabled(feature);
    }
    await next();
  });

class Rollback extends Error {}

/** The result of a successful change, for its audit entry's target: what the handler answered. */
async function resultOf(intent: AuditIntent, res: Response): Promise<unknown> {
  if (intent.answered) return intent.answered.value;
  if (!/json/i.test(res.headers.get('content-type') ?? '')) return undefined;
  return res.clone().json();
}

/**
 * Runs the rest of the request inside one tenant transaction whose first statement sets the
 * tenant context; the handler gets it as `c.get('scope')`. It commits only when the handler
 * succeeded: an error response rolls it back. A route that declares an audit entry gets it
 * written on the same transaction, after the handler and before the commit.
 */
export const tenantTransaction = createMiddleware<AppEnv>(async (c, next) => {
  const { tenantId, userId, role, issuedAt } = tenantOf(c);
  const statementTimeoutMs = c.get('tenantProfile')?.limits.statementTimeoutMs;
  const started = performance.now();
  try {
    await c.get('services').tenantDb.tenant({ tenantId, userId, role, issuedAt, statementTimeoutMs }, async (scope) => {
      c.set('scope', scope);
      await next();
      // Hono has already answered a handler's error as it was thrown. A database failure goes
      // back out through the runner, which translates it (db/errors.ts); the translated error
      // is then answered in its place (a 503 rather than a 500, say).
      if (c.error && !(c.error instanceof DomainError)) throw c.error;
      if (c.error || c.res.status >= 400) throw new Rollback();
      const intent = c.get('audit');
      if (intent) await recordInTenant(scope, intent, await resultOf(intent, c.res));
    });
  } catch (err) {
    if (err instanceof Rollback || err === c.error) return;
    throw err;
  } finally {
    c.set('transactionMs', performance.now() - started);
  }
});
