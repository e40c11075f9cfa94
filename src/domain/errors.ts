/** Stable error codes shared by the domain, services and the HTTP contract (API.md). */
export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'tenant_suspended'
  | 'tenant_mismatch'
  | 'quota_exceeded'
  | 'rate_limited'
  | 'invalid_transition'
  | 'feature_disabled'
  | 'unauthorized'
  | 'forbidden'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'service_unavailable'
  | 'internal_error';

export interface FieldIssue {
  path: string;
  message: string;
}

/** An expected, operational error. Carries a code, never an HTTP status. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
    /** Seconds a refused client should wait (429, 503): sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** A 401 for an access token that was sent but is not good (RFC 6750 `invalid_token`). */
export class InvalidTokenError extends DomainError {
  constructor(message = 'invalid token') {
    super('unauthorized', message);
  }
}

export const Errors = {
  invalidToken: (message?: string) => new InvalidTokenError(message),
  notFound: (what: string) => new DomainError('not_found', `${what} not found`),
  conflict: (message: string) => new DomainError('conflict', message),
  validation: (message: string, issues?: FieldIssue[]) => new DomainError('validation_failed', message, issues),
  unauthorized: (message = 'missing or invalid credentials') => new DomainError('unauthorized', message),
  forbidden: (message = 'not allowed for this role') => new DomainError('forbidden', message),
  tenantSuspended: () => new DomainError('tenant_suspended', 'this tenant is suspended'),
  tenantMismatch: () => new DomainError('tenant_mismatch', 'the request names a different tenant than the token'),
  quotaExceeded: (what: string, limit: number) =>
    new DomainError('quota_exceeded', `plan limit reached: at most ${limit} ${what}`),
  /** A plan or limits change refused because current usage is over a new limit. */
  overLimit: (over: { limit: string; used: number; max: number }[]) =>
    new DomainError(
      'conflict',
      `current usage exceeds the new limits: ${over.map((o) => `${o.limit} ${o.max} < ${o.used} in use`).join('; ')}`,
      over.map((o) => ({ path: `limits.${o.limit}`, message: `${o.used} in use, new limit ${o.max}` })),
    ),
  featureDisabled: (feature: string) =>
    new DomainError('feature_disabled', `this tenant's plan does not include the feature '${feature}'`),
  tenantSlugTaken: (slug: string) => new DomainError('conflict', `tenant slug '${slug}' is already taken`),
  rateLimited: (retryAfterSeconds: number) =>
    new DomainError('rate_limited', `request limit of this tenant's plan reached; retry in ${retryAfterSeconds} s`),
  invalidTransition: (action: string, current: string) =>
    new DomainError('invalid_transition', `cannot ${action} a tenant that is ${current}`),
  unavailable: (message = 'the service is temporarily unavailable') => new DomainError('service_unavailable', message),
} as const;
