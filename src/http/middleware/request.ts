import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { DomainError, Errors } from '../../domain/errors.js';
import { bindingsOf, lazyChild } from '../../runtime/lazy-logger.js';
import { logFailure } from '../problem.js';
import type { AppEnv, AppServices } from '../types.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id (echoed when sane), the request logger, and the app's services. */
export const requestContext = (logger: Logger, services: AppServices) => {
  // The access line holds only the fields written below, none of them a credential: it skips
  // the process logger's wildcard redaction, which cost more than the rest of the line.
  const access = logger.child({}, { redact: [] });
  return createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('logger', lazyChild(logger, { requestId }));
    c.set('services', services);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    logFailure(c);
    // On the response itself: c.header() on a finished response rebuilds it, which takes
    // @hono/node-server off its direct write path (the body is then read back as a stream).
    try {
      c.res.headers.set('X-Request-Id', requestId);
    } catch {
      c.header('X-Request-Id', requestId); // a response with immutable headers is rebuilt
    }
    // One line per request, by route template (ids in raw paths would be unbounded and personal),
    // with the request's bindings (request id, and the caller once authenticated).
    access.info(
      {
        ...bindingsOf(c.get('logger')),
        method: c.req.method,
        route: c.req.routePath || 'unmatched',
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON is UTF-8; a body with invalid byte sequences would otherwise be decoded with
 * replacement characters and stored altered. The body is read and decoded once.
 */
async function assertUtf8(c: Context<AppEnv>): Promise<void> {
  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch {
    throw Errors.validation('request body is not valid UTF-8');
  }
  // Hand the decoded text to the validator's c.req.json(), which would otherwise rebuild it
  // through a new Response from the cached bytes.
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;

/**
 * Bodies must be JSON: a PATCH sent as text/plain is refused (415) rather than validated as
 * an empty object and answered 200 without doing anything.
 */
export const requireJsonBody = (extraTypes: RegExp[] = [], opts: { stream?: boolean } = {}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const method = c.req.method;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') {
      const length = c.req.header('content-length');
      const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
      const type = c.req.header('content-type') ?? '';
      if (hasBody && !JSON_TYPE.test(type) && !extraTypes.some((t) => t.test(type))) {
        throw new DomainError('unsupported_media_type', 'request bodies must be application/json');
      }
      // A streamed body (an import) is decoded strictly by its reader, never buffered here.
      if (hasBody && !opts.stream) await assertUtf8(c);
      if (!hasBody && type && !JSON_TYPE.test(type) && !extraTypes.some((t) => t.test(type))) {
        throw new DomainError('unsupported_media_type', 'request bodies must be application/json');
      }
    }
    await next();
  });

const TENANT_PARAMS = new Set(['tenantid', 'tenant_id', 'tenant']);
// The one read whose query may name a tenant: the platform admin's event filter.
const TENANT_FILTERS = new Set(['/api/v1/events']);
// The one write with options in its query (its body is the export itself), validated strictly by its route.
const WRITE_QUERIES = new Set(['/api/v1/tenants/import']);

/**
 * The tenant never comes from a query string (invariant 8): a tenant parameter is refused as
 * an unknown field on every route but the platform's event filter, and no write route but the
 * import (whose options are its query) takes query parameters at all. Reads with a query schema also validate their own, strictly.
 */
export const refuseStrayQuery = createMiddleware<AppEnv>(async (c, next) => {
  const url = c.req.url;
  if (url.includes('?')) {
    const keys = [...new Set(new URL(url).searchParams.keys())];
    const read = c.req.method === 'GET' || c.req.method === 'HEAD' || WRITE_QUERIES.has(c.req.path);
    const stray = read
      ? TENANT_FILTERS.has(c.req.path)
        ? []
        : keys.filter((k) => TENANT_PARAMS.has(k.toLowerCase()))
      : keys;
    if (stray.length > 0) {
      throw Errors.validation(
        `unknown query parameter(s): ${stray.join(', ')}`,
        stray.map((path) => ({ path, message: 'unknown field' })),
      );
    }
  }
  await next();
});

/**
 * Where a request comes from: the client's address for login flood protection — the socket's
 * peer, or behind a trusted load balancer the last X-Forwarded-For entry, the one that proxy
 * appended (entries before it are whatever the client sent); requests without a socket
 * (app.request) are `local` — and the tenant named by the host's subdomain under the
 * configured base domain (`springfield.schools.example` → `springfield`), for sign-in.
 */
export const requestOrigin = (opts: { trustProxy: boolean; baseDomain?: string }) =>
  createMiddleware<AppEnv>(async (c, next) => {
    let address: string | undefined;
    if (opts.trustProxy) address = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    address ||= (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
      ?.remoteAddress;
    c.set('clientAddress', address?.slice(0, 64) || 'local');
    if (opts.baseDomain) {
      const forwarded = opts.trustProxy ? c.req.header('x-forwarded-host')?.split(',').at(-1)?.trim() : undefined;
      const host = (forwarded || c.req.header('host') || '').toLowerCase().replace(/:\d+$/, '');
      const suffix = `.${opts.baseDomain.toLowerCase()}`;
      const label = host.endsWith(suffix) ? host.slice(0, -suffix.length) : '';
      if (/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) c.set('hostTenant', label);
    }
    await next();
  });
