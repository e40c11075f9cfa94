import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { DomainError, Errors } from './domain/errors.js';
import { DOCUMENT, HEADERS, SECURITY_SCHEMES } from './http/document.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { refuseStrayQuery, requestContext, requestOrigin, requireJsonBody } from './http/middleware/request.js';
import { onError, problem } from './http/problem.js';
import { authRouter } from './http/routes/auth/index.js';
import { coursesRouter } from './http/routes/courses/index.js';
import { currentTenantRouter } from './http/routes/current-tenant/index.js';
import { opsRouter, type Probe } from './http/routes/ops/index.js';
import { registrationRouter } from './http/routes/registration/index.js';
import { studentsRouter } from './http/routes/students/index.js';
import { tenantsRouter } from './http/routes/tenants/index.js';
import { TENANT_IMPORT, tenantTransferRouter } from './http/routes/tenants/transfer.router.js';
import { usersRouter } from './http/routes/users/index.js';
import type { AppEnv, AppServices } from './http/types.js';

export interface AppDeps {
  services: AppServices;
  logger: Logger;
  metrics?: Metrics;
  probes?: Probe[];
  bodyLimitBytes?: number;
  /** Take the client address from X-Forwarded-For (behind a load balancer that sets it). */
  trustProxy?: boolean;
  /** Sign-in may name the tenant by subdomain under this domain (`<slug>.<domain>`). */
  tenantBaseDomain?: string;
}

export const API_BODY_LIMIT = 1024 * 1024;

/**
 * A path's body limit; the listener applies the same rule to `Expect: 100-continue`
 * (http/node-server.ts). Imports are streamed and counted by the import service as it reads.
 */
export function bodyLimitFor(path: string, apiLimit = API_BODY_LIMIT): number | undefined {
  if (!path.startsWith('/api/') || path === TENANT_IMPORT.path) return undefined;
  return apiLimit;
}

/** Builds the Hono app; no listening (tests call app.request()). */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ strict: false });
  app.onError(onError);
  app.notFound((c) => problem(c, Errors.notFound('route')));

  const metrics = deps.metrics ?? createMetrics({ rateLimit: deps.services.rateLimit, login: deps.services });
  app.use('*', requestContext(deps.logger, deps.services));
  app.use('*', metrics.middleware);
  app.use('/api/*', requestOrigin({ trustProxy: deps.trustProxy ?? false, baseDomain: deps.tenantBaseDomain }));
  const apiBodyLimit = bodyLimit({
    maxSize: deps.bodyLimitBytes ?? API_BODY_LIMIT,
    onError: () => {
      throw new DomainError('payload_too_large', 'request body exceeds the 1 MiB limit');
    },
  });
  // hono/body-limit asks for the request's body stream first, which makes @hono/node-server
  // build a full Request for every call (~300 µs of CPU). A GET or HEAD (no body), or a body of
  // declared length and no transfer coding, is decided from its headers here, as body-limit
  // itself would; any other body is counted by body-limit as it is read.
  const maxBody = deps.bodyLimitBytes ?? API_BODY_LIMIT;
  const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return apiBodyLimit(c, next);
    if (Number.parseInt(length, 10) > maxBody) {
      throw new DomainError('payload_too_large', 'request body exceeds the 1 MiB limit');
    }
    return next();
  };
  const jsonOnly = requireJsonBody();
  const jsonOrNdjson = requireJsonBody([TENANT_IMPORT.contentType], { stream: true });
  // Tenant imports are the one exception to "JSON bodies under 1 MiB": NDJSON, streamed to the
  // import service, which decodes it strictly and counts it against IMPORT_MAX_BYTES as it reads.
  const isImport = (path: string) => path === TENANT_IMPORT.path;
  app.use('/api/*', (c, next) => (isImport(c.req.path) ? next() : limitBody(c, next)));
  app.use('/api/*', (c, next) => (isImport(c.req.path) ? jsonOrNdjson(c, next) : jsonOnly(c, next)));
  app.use('/api/*', refuseStrayQuery);
  // Authentication and roles are per route: each route's declared access rule (http/access.ts).

  app.route('/', opsRouter(deps.probes ?? [], metrics.registry));
  app.route('/api/v1', authRouter());
  app.route('/api/v1', registrationRouter());
  app.route('/api/v1', tenantsRouter());
  app.route('/api/v1', tenantTransferRouter());
  app.route('/api/v1', studentsRouter());
  app.route('/api/v1', currentTenantRouter());
  app.route('/api/v1', coursesRouter());
  app.route('/api/v1', usersRouter());

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  }
  for (const [name, header] of Object.entries(HEADERS)) app.openAPIRegistry.registerComponent('headers', name, header);
  app.doc31('/openapi.json', DOCUMENT);
  return app;
}

export type App = ReturnType<typeof createApp>;
