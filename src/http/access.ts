import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { Errors } from '../domain/errors.js';
import { TENANT_ROLES, type TenantRole } from '../domain/roles.js';
import type { Feature } from '../domain/tenant/plans.js';
import { type AuditRule, auditIntent } from './audit.js';
import { RATE_LIMIT_HEADERS, type Tag, TOO_MANY_REQUESTS } from './document.js';
import { authenticate, requireFeature, tenantGate, tenantTransaction } from './middleware/auth.js';
import type { AppEnv, MaybeTenantEnv, PlatformEnv, TenantEnv } from './types.js';

/**
 * Who may call a route. Declared once, beside the route's OpenAPI definition (`defineRoute`),
 * and the same declaration becomes the route's middleware, its OpenAPI `security` and its
 * `x-roles` extension, which the generated role × route test reads.
 */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'platform' }
  | { readonly kind: 'tenant'; readonly roles: readonly TenantRole[] }
  /**
   * Tenant users with these roles, or a platform admin. With `transaction: false` the tenant
   * caller still passes the tenant gate (headers, rate limit) but the service opens its own
   * transactions (a streamed export).
   */
  | {
      readonly kind: 'tenant-or-platform';
      readonly roles: readonly TenantRole[];
      readonly transaction?: boolean;
    };

export const WRITERS = ['tenant_admin', 'staff'] as const satisfies readonly TenantRole[];

type TenantAccess = Extract<Access, { kind: 'tenant' }>;
type EitherAccess = Extract<Access, { kind: 'tenant-or-platform' }>;

export const access = {
  /** No token needed (sign-in). */
  public: { kind: 'public' } as const,
  platform: { kind: 'platform' } as const,
  /** Tenant users with one of these roles (every tenant role by default). */
  tenant: (roles: readonly TenantRole[] = TENANT_ROLES): TenantAccess => ({ kind: 'tenant', roles }),
  tenantOrPlatform: (
    roles: readonly TenantRole[] = TENANT_ROLES,
    opts: { transaction?: boolean } = {},
  ): EitherAccess => ({
    kind: 'tenant-or-platform',
    roles,
    ...opts,
  }),
};

/** The roles `x-roles` lists; `anonymous` means no token is needed. */
export function rolesOf(rule: Access): string[] {
  switch (rule.kind) {
    case 'public':
      return ['anonymous'];
    case 'platform':
      return ['platform_admin'];
    case 'tenant':
      return [...rule.roles];
    case 'tenant-or-platform':
      return ['platform_admin', ...rule.roles];
  }
}

const allow = (rule: Exclude<Access, { kind: 'public' }>) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    const allowed =
      principal.kind === 'platform'
        ? rule.kind !== 'tenant'
        : rule.kind !== 'platform' && rule.roles.includes(principal.role);
    if (!allowed) {
      if (rule.kind === 'platform') throw Errors.forbidden('this route is for platform admins');
      if (principal.kind === 'platform') throw Errors.forbidden('this route is for tenant users');
      throw Errors.forbidden();
    }
    await next();
  });

const onlyForTenants = (mw: MiddlewareHandler<AppEnv>) =>
  createMiddleware<AppEnv>((c, next) => (c.get('principal').kind === 'tenant' ? mw(c, next) : next()));

type EnvOf<A extends Access> = A extends { kind: 'public' }
  ? AppEnv
  : A extends { kind: 'platform' }
    ? PlatformEnv
    : A extends { kind: 'tenant' }
      ? TenantEnv
      : MaybeTenantEnv;

/**
 * A route's middleware as one handler, run in order. hono/combine's every() did the same but
 * built a new chain (an array of wrappers and a compose) on every request. None of these
 * middleware answers by returning a Response (they throw or call next); one that did would
 * still be answered.
 */
function chain(handlers: MiddlewareHandler<AppEnv>[]): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const step = async (i: number): Promise<void> => {
      const handler = handlers[i];
      if (!handler) return next();
      const res = await handler(c, () => step(i + 1));
      if (res instanceof Response && !c.finalized) c.res = res;
    };
    return step(0);
  };
}

function middlewareFor(rule: Access, feature?: Feature, audit?: AuditRule): MiddlewareHandler<AppEnv>[] {
  // After the gate (which reads the tenant's profile), before any transaction opens.
  const gated = feature ? [requireFeature(feature)] : [];
  const intent = audit ? [auditIntent(audit)] : [];
  switch (rule.kind) {
    case 'public':
      // A public change names its actor itself (AuditRule.actor): a registration's new admin.
      return intent;
    case 'platform':
      return [authenticate, allow(rule), ...intent];
    case 'tenant':
      return [authenticate, allow(rule), tenantGate, ...gated, ...intent, tenantTransaction];
    case 'tenant-or-platform':
      return [
        authenticate,
        allow(rule),
        onlyForTenants(tenantGate),
        ...gated,
        ...intent,
        ...(rule.transaction === false ? [] : [onlyForTenants(tenantTransaction)]),
      ];
  }
}

/** The OpenAPI `security` of a rule: which tokens it accepts (document.ts names the schemes). */
export function securityOf(rule: Access): Record<string, string[]>[] {
  switch (rule.kind) {
    case 'public':
      return [];
    case 'platform':
      return [{ platformAuth: [] }];
    case 'tenant':
      return [{ bearerAuth: [] }];
    case 'tenant-or-platform':
      return [{ bearerAuth: [] }, { platformAuth: [] }];
  }
}

/** Tenant callers pass the tenant gate, which counts the request against the tenant's limit. */
export const isRateLimited = (rule: Access) => rule.kind === 'tenant' || rule.kind === 'tenant-or-platform';

/** What every operation must say about itself, so outside tools and generated clients can name it. */
interface Described {
  /** Unique across the document; generated clients name their methods after it. */
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly [Tag, ...Tag[]];
  /**
   * A plan feature the tenant caller's tenant must have (403 feature_disabled otherwise,
   * checked once, by the route's middleware); platform admins are not gated.
   */
  readonly feature?: Feature;
}

type RouteFields = Omit<RouteConfig, 'middleware' | 'security' | 'tags' | 'operationId' | 'summary'> &
  Described & {
    /** The audit entry a successful call leaves (every write route declares one, or is listed as exempt). */
    readonly audit?: AuditRule;
  };
type Responses = RouteConfig['responses'];

/** RateLimit-* on every success, and the 429 with Retry-After. */
function withRateLimit(responses: Responses): Responses {
  const out: Responses = { ...responses, 429: TOO_MANY_REQUESTS };
  for (const [status, response] of Object.entries(responses)) {
    if (/^2\d\d$/.test(status) && !('$ref' in response)) {
      out[status] = { ...response, headers: { ...RATE_LIMIT_HEADERS, ...(response.headers as object) } };
    }
  }
  return out;
}

function assertBodyExample(config: RouteFields): void {
  const content = config.request?.body?.content ?? {};
  for (const [type, media] of Object.entries(content) as [string, { example?: unknown; examples?: unknown }][]) {
    if (media.example === undefined && media.examples === undefined) {
      throw new Error(`${config.operationId}: the ${type} request body needs an example`);
    }
  }
}

/**
 * A platform admin's audited action takes the reason header, and its document says so (the
 * middleware checks the header either way; this keeps the OpenAPI document telling the truth).
 */
function assertReasonHeader(rule: Access, config: RouteFields): void {
  if (!config.audit || (rule.kind !== 'platform' && rule.kind !== 'tenant-or-platform')) return;
  const headers = config.request?.headers as { shape?: Record<string, unknown> } | undefined;
  if (!headers?.shape?.['x-audit-reason']) {
    throw new Error(
      `${config.operationId}: an audited platform action must document X-Audit-Reason (AuditReasonHeader)`,
    );
  }
}

/**
 * createRoute with its access rule: the only way routes are declared (a test checks that no
 * route file calls createRoute itself), so no route can ship without one, nor without an
 * operationId, a summary, declared tags and an example of its body. The rule also decides the
 * operation's `security` and, for rate-limited callers, its 429 and `RateLimit-*` headers.
 */
export function defineRoute<A extends Access, const R extends RouteFields>(rule: A, config: R) {
  assertBodyExample(config);
  assertReasonHeader(rule, config);
  const { feature, audit, ...route } = config;
  const limited = isRateLimited(rule) ? withRateLimit(route.responses) : route.responses;
  return createRoute({
    ...route,
    ...(audit && { 'x-audit': { action: audit.action, target: audit.target } }),
    tags: [...route.tags],
    responses: (feature ? withFeature(limited, feature) : limited) as R['responses'],
    security: securityOf(rule),
    'x-roles': rolesOf(rule),
    ...(feature && { 'x-feature': feature }),
    // One composed handler (not a list), so the handler's context is typed by EnvOf<A>.
    middleware: chain(middlewareFor(rule, feature, audit)) as unknown as MiddlewareHandler<EnvOf<A>>,
  });
}

/** The 403 of a feature-gated operation names the feature. */
function withFeature(responses: Responses, feature: Feature): Responses {
  const forbidden = responses[403];
  if (!forbidden || '$ref' in forbidden) return responses;
  const description = `${forbidden.description}; feature_disabled when the tenant's plan lacks \`${feature}\``;
  return { ...responses, 403: { ...forbidden, description } };
}
