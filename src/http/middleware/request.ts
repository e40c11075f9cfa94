import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { DomainError } from '../../domain/errors.js';
import type { AppEnv, AppServices } from '../types.js';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id (echoed when sane), the request logger, and the app's services. */
export const requestContext = (logger: Logger, services: AppServices) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('logger', logger.child({ requestId }));
    c.set('services', services);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    c.get('logger').info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;.*)?$/i;

/**
 * Bodies must be JSON: a PATCH sent as text/plain is refused (415) rather than validated as
 * an empty object and answered 200 without doing anything.
 */
export const requireJsonBody = (extraTypes: RegExp[] = []) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const method = c.req.method;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') {
      const length = c.req.header('content-length');
      const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
      const type = c.req.header('content-type') ?? '';
      if (hasBody && !JSON_TYPE.test(type) && !extraTypes.some((t) => t.test(type))) {
        throw new DomainError('unsupported_media_type', 'request bodies must be application/json');
      }
      if (!hasBody && type && !JSON_TYPE.test(type) && !extraTypes.some((t) => t.test(type))) {
        throw new DomainError('unsupported_media_type', 'request bodies must be application/json');
      }
    }
    await next();
  });
