import { Problem } from './openapi.js';

/**
 * The OpenAPI document's top level, and the parts `defineRoute` adds to operations. Every
 * operation names tags from this list; each is declared here with its description.
 */
export const TAGS = {
  Auth: 'Sign-in, token refresh and sign-out (public), and the caller’s own profile.',
  'Current tenant': 'The caller’s own tenant: profile, settings and audit log.',
  Students: 'Students of the caller’s tenant.',
  Courses: 'Courses of the caller’s tenant.',
  Enrollments: 'Students enrolled in a course.',
  Users: 'Staff accounts of the caller’s tenant and their roles.',
  'Tenants (platform admin)': 'Tenant lifecycle, limits, usage, events, export and import (platform admins).',
  Registration: 'Self-service sign-up of a new tenant (public; only where the server allows it).',
} as const;

export type Tag = keyof typeof TAGS;

const integerHeader = (description: string) => ({ description, schema: { type: 'integer' as const, minimum: 0 } });

/** Registered under components/headers; operations refer to them. */
export const HEADERS = {
  'RateLimit-Limit': integerHeader('Requests allowed in the current window (the tenant’s requestsPerMinute)'),
  'RateLimit-Remaining': integerHeader('Requests left in the current window'),
  'RateLimit-Reset': integerHeader('Seconds until the window resets'),
  'Retry-After': integerHeader('Seconds to wait before retrying'),
};

const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/** What the responses of a rate-limited operation carry (the tenant gate sets them). */
export const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': ref('RateLimit-Limit'),
  'RateLimit-Remaining': ref('RateLimit-Remaining'),
  'RateLimit-Reset': ref('RateLimit-Reset'),
};

/** The 429 of a rate-limited operation. */
export const TOO_MANY_REQUESTS = {
  description: 'The tenant’s requests-per-minute limit is reached (`rate_limited`)',
  headers: { 'Retry-After': ref('Retry-After'), ...RATE_LIMIT_HEADERS },
  content: { 'application/problem+json': { schema: Problem } },
};

/** Document-level fields: everything but paths and components. */
export const DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Tenantry API',
    version: '1.0.0',
    description:
      'Multi-tenant school records; tenant isolation enforced by PostgreSQL row-level security. ' +
      'Tenant routes are rate-limited per tenant (`RateLimit-*` headers, 429 with `Retry-After`).',
    // The package is private and grants no licence; SPDX has no identifier for that, and
    // "UNLICENSED" is npm's word for it.
    license: { name: 'UNLICENSED (private; no licence is granted)' },
    contact: { name: 'Tenantry maintainers' },
  },
  // Relative: the document describes the instance that serves it, in production or elsewhere.
  servers: [{ url: '/', description: 'This instance (local, staging or production alike)', 'x-internal': false }],
  tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
};

const jwt = (whose: string, route: string) => ({
  type: 'http' as const,
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    `${whose}'s access token, from \`${route}\`: an EdDSA-signed JWT verified as RFC8725 advises (one fixed ` +
    'algorithm, issuer, audience, `typ` and `exp` checked), valid for minutes; renew it with `/api/v1/auth/refresh`.',
});

/**
 * Two schemes for the two kinds of token: a tenant user's and a platform admin's are signed
 * alike but issued by different sign-ins, and an operation accepts the ones its rule names.
 */
export const SECURITY_SCHEMES = {
  bearerAuth: jwt('A tenant user', '/api/v1/auth/login'),
  platformAuth: jwt('A platform admin', '/api/v1/auth/platform/login'),
};
