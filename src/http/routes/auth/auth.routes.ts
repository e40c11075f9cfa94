import { z } from '@hono/zod-openapi';
import { TENANT_ROLES } from '../../../domain/roles.js';
import { access, defineRoute } from '../../access.js';
import { errorResponses, jsonBody, jsonResponse, nonEmpty, text, uuid } from '../../openapi.js';
import { Tenant } from '../tenants/tenants.schemas.js';

const tags = ['Auth'] as const;

const TokenPair = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int(),
  })
  .openapi('TokenPair');

const credentials = { email: text(254).min(1), password: text(200).min(1) };

export const login = defineRoute(access.public, {
  operationId: 'login',
  summary: 'Sign in as a tenant user',
  method: 'post',
  path: '/auth/login',
  tags,
  request: {
    body: jsonBody(
      z
        .strictObject({
          tenant: nonEmpty(63).optional().openapi({
            description:
              'The tenant slug; may instead come from X-Tenant-Slug or the subdomain under the configured base domain (all given must agree)',
          }),
          ...credentials,
        })
        .openapi('TenantLogin'),
      {
        tenant: 'springfield-high',
        email: 'principal@springfield.example',
        password: 'a-long-passphrase',
      },
    ),
  },
  responses: { 200: jsonResponse(TokenPair, 'Signed in'), ...errorResponses },
});

export const platformLogin = defineRoute(access.public, {
  operationId: 'platformLogin',
  summary: 'Sign in as a platform admin',
  method: 'post',
  path: '/auth/platform/login',
  tags,
  request: {
    body: jsonBody(z.strictObject(credentials).openapi('PlatformLogin'), {
      email: 'admin@localhost',
      password: 'the-printed-password',
    }),
  },
  responses: { 200: jsonResponse(TokenPair, 'Signed in'), ...errorResponses },
});

const RefreshBody = z.strictObject({ refreshToken: text(300).min(1) }).openapi('RefreshRequest');
const REFRESH_EXAMPLE = { refreshToken: 'rt1.0b9e6f0e-3d5c-4e55-9a57-4f0f5a7f9e21.5f0c….secret' };

export const refresh = defineRoute(access.public, {
  operationId: 'refreshTokens',
  summary: 'Exchange a refresh token for a new token pair',
  method: 'post',
  path: '/auth/refresh',
  tags,
  request: { body: jsonBody(RefreshBody, REFRESH_EXAMPLE) },
  responses: {
    200: jsonResponse(TokenPair, 'A new token pair; the presented refresh token is used up'),
    ...errorResponses,
  },
});

export const logout = defineRoute(access.public, {
  operationId: 'logout',
  summary: 'Sign out: revoke a refresh token’s family',
  method: 'post',
  path: '/auth/logout',
  tags,
  request: { body: jsonBody(RefreshBody, REFRESH_EXAMPLE) },
  responses: { 204: { description: 'The refresh token family is revoked' }, ...errorResponses },
});

const caller = <R extends z.ZodType>(role: R) => z.object({ id: uuid(), email: z.string(), name: z.string(), role });

// Only a platform admin has no tenant: the null lives in that branch, not in Tenant.
const Me = z
  .union([
    z.object({ user: caller(z.enum(TENANT_ROLES)), tenant: Tenant }).openapi('TenantUserMe'),
    z.object({ user: caller(z.literal('platform_admin')), tenant: z.null() }).openapi('PlatformAdminMe'),
  ])
  .openapi('Me');

export const me = defineRoute(access.tenantOrPlatform(), {
  operationId: 'getMe',
  summary: 'The caller and their tenant',
  method: 'get',
  path: '/me',
  tags,
  responses: {
    200: jsonResponse(Me, 'The caller: a tenant user with their tenant, or a platform admin (no tenant)'),
    ...errorResponses,
  },
});

export const changePassword = defineRoute(access.tenant(), {
  operationId: 'changePassword',
  summary: 'Change my password',
  description:
    'Checks the current password, requires a strong new one (at least 12 characters, not a common password), ends every other session of the user and returns a new token pair.',
  method: 'post',
  path: '/me/password',
  tags,
  audit: { action: 'user.password_changed', target: 'user', id: 'caller' },
  request: {
    body: jsonBody(
      z.strictObject({ currentPassword: text(200).min(1), newPassword: text(200).min(1) }).openapi('PasswordChange'),
      { currentPassword: 'a-long-passphrase', newPassword: 'another-long-passphrase' },
    ),
  },
  responses: { 200: jsonResponse(TokenPair, 'Changed; a new token pair'), ...errorResponses },
});
