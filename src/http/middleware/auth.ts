import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { Errors } from '../../domain/errors.js';
import type { AppEnv, TenantEnv } from '../types.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/** Verifies the Bearer access token; the principal comes from the verified token only. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const match = BEARER.exec(c.req.header('authorization') ?? '');
  if (!match?.[1]) throw Errors.unauthorized('a Bearer access token is required');
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

class Rollback extends Error {}

/**
 * Runs the rest of the request inside one transaction whose first statement sets the
 * tenant context (tenant tokens) or switches to the platform role (platform tokens).
 * The transaction commits only when the handler succeeded; an error response rolls it back.
 */
function transactional(kind: 'tenant' | 'platform' | 'any') {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (kind !== 'any' && principal.kind !== kind) {
      throw Errors.forbidden(
        kind === 'tenant' ? 'this route is for tenant users' : 'this route is for platform admins',
      );
    }
    const db = c.get('services').db;
    const run = async (tx: AppEnv['Variables']['tx']) => {
      c.set('tx', tx);
      await next();
      if (c.error || c.res.status >= 400) throw new Rollback();
    };
    try {
      if (principal.kind === 'tenant') {
        await checkTenantHeaders(c, principal.tenantId);
        await db.tenant({ tenantId: principal.tenantId, userId: principal.userId }, async (tx) => {
          await checkTenantSlug(c, tx, principal.tenantId);
          await applyRateLimit(c, tx, principal.tenantId);
          await run(tx);
        });
      } else {
        await db.platform(principal.userId, run);
      }
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
    }
  });
}

async function checkTenantHeaders(c: { req: { header(n: string): string | undefined } }, tenantId: string) {
  const id = c.req.header('x-tenant-id');
  if (id !== undefined && id.toLowerCase() !== tenantId) throw Errors.tenantMismatch();
}

async function checkTenantSlug(c: Context<AppEnv>, tx: AppEnv['Variables']['tx'], tenantId: string) {
  const slug = c.req.header('x-tenant-slug');
  if (slug === undefined) return;
  if ((await c.get('services').auth.tenantSlug(tx, tenantId)) !== slug) throw Errors.tenantMismatch();
}

async function applyRateLimit(c: Context<AppEnv>, tx: AppEnv['Variables']['tx'], tenantId: string) {
  const decision = await c.get('services').rateLimit.consume(tx, tenantId);
  c.header('RateLimit-Limit', String(decision.limit));
  c.header('RateLimit-Remaining', String(decision.remaining));
  c.header('RateLimit-Reset', String(decision.resetSeconds));
  if (!decision.allowed) {
    c.header('Retry-After', String(decision.resetSeconds));
    throw Errors.rateLimited(decision.resetSeconds);
  }
}

export const tenantScope = transactional('tenant');
export const platformScope = transactional('platform');
export const anyScope = transactional('any');

/** Allows only the listed tenant roles (tenant routes) after tenantScope. */
export const requireRole = (...roles: string[]) =>
  createMiddleware<TenantEnv>(async (c, next) => {
    if (!roles.includes(c.get('principal').role)) throw Errors.forbidden();
    await next();
  });

/** Platform routes whose services open their own platform-role transactions. */
export const requirePlatform = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('principal').kind !== 'platform') throw Errors.forbidden('this route is for platform admins');
  await next();
});
