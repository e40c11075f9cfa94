import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorCode, type FieldIssue, InvalidTokenError } from '../domain/errors.js';
import type { AppEnv } from './types.js';

export const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  tenant_suspended: 403,
  tenant_mismatch: 403,
  quota_exceeded: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  invalid_transition: 409,
  feature_disabled: 403,
  internal_error: 500,
  service_unavailable: 503,
};

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'Validation failed',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  tenant_suspended: 'Tenant suspended',
  tenant_mismatch: 'Tenant mismatch',
  quota_exceeded: 'Quota exceeded',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  invalid_transition: 'Invalid transition',
  feature_disabled: 'Feature disabled',
  internal_error: 'Internal server error',
  service_unavailable: 'Service unavailable',
};

/** Every error, expected or not, becomes one problem+json shape; unknown errors never leak. */
export function toDomainError(err: unknown): DomainError {
  // Database failures were translated in db/ before they left a transaction (db/errors.ts).
  if (err instanceof DomainError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new DomainError('payload_too_large', 'request body exceeds the size limit');
    if (err.status === 415) return new DomainError('unsupported_media_type', err.message);
    if (err.status === 400) return new DomainError('validation_failed', err.message || 'bad request');
    if (err.status === 401) return new DomainError('unauthorized', 'missing or invalid credentials');
  }
  return new DomainError('internal_error', 'an unexpected error occurred');
}

const bearerError = (description: string) =>
  `Bearer error="invalid_token", error_description="${description.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;

export function problem(c: Context<AppEnv>, err: DomainError): Response {
  const status = STATUS[err.code];
  const body: Record<string, unknown> = {
    type: `urn:tenantry:problem:${err.code}`,
    title: TITLES[err.code],
    status,
    detail: err.message,
    code: err.code,
    requestId: c.get('requestId'),
  };
  if (err.issues?.length) body.errors = err.issues satisfies FieldIssue[];
  // RFC 6750: plain `Bearer` when no token was sent (or for a failed sign-in), the error code
  // and a short description when the token itself was refused.
  if (status === 401)
    c.header('WWW-Authenticate', err instanceof InvalidTokenError ? bearerError(err.message) : 'Bearer');
  if (err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds));
  else if (status === 503) c.header('Retry-After', '1');
  // The rest of an oversized body was never read: don't reuse the connection for the next request.
  if (status === 413) c.header('Connection', 'close');
  c.header('Content-Type', 'application/problem+json');
  return c.body(JSON.stringify(body), status);
}

/**
 * Answers any error as a problem. Logged once, when the request ends (requestContext), with
 * the error that decided the answer: a database failure rendered here first may still be
 * translated on its way out of the request transaction and answered again.
 */
export function onError(err: Error, c: Context<AppEnv>): Response {
  return problem(c, toDomainError(err));
}

/** Logs the error behind a 5xx answer: unexpected ones with their stack, outages briefly. */
export function logFailure(c: Context<AppEnv>): void {
  const err = c.error;
  if (!err || c.res.status < 500) return;
  const code = toDomainError(err).code;
  const log = c.get('logger');
  if (code === 'internal_error') log.error({ err }, 'unhandled error');
  else log.warn({ err: { message: err.message } }, 'service unavailable');
}
