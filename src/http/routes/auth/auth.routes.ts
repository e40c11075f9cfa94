import { z } from '@hono/zod-openapi';
import { access, defineRoute } from '../../access.js';
import { errorResponses, jsonBody, jsonResponse, nonEmpty, text } from '../../openapi.js';
import { Tenant } from '../tenants/tenants.schemas.js';

const tags = ['Auth'];

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
  method: 'post',
  path: '/auth/login',
  tags,
  request: { body: jsonBody(z.strictObject({ tenant: nonEmpty(63), ...credentials }).openapi('TenantLogin')) },
  responses: { 200: jsonResponse(TokenPair, 'Signed in'), ...errorResponses },
});

export const platformLogin = defineRoute(access.public, {
  method: 'post',
  path: '/auth/platform/login',
  tags,
  request: { body: jsonBody(z.strictObject(credentials).openapi('PlatformLogin')) },
  responses: { 200: jsonResponse(TokenPair, 'Signed in'), ...errorResponses },
});

const RefreshBody = z.strictObject({ refreshToken: text(300).min(1) }).openapi('RefreshRequest');

export const refresh = defineRoute(access.public, {
  method: 'post',
  path: '/auth/refresh',
  tags,
  request: { body: jsonBody(RefreshBody) },
  responses: {
    200: jsonResponse(TokenPair, 'A new token pair; the presented refresh token is used up'),
    ...errorResponses,
  },
});

export const logout = defineRoute(access.public, {
  method: 'post',
  path: '/auth/logout',
  tags,
  request: { body: jsonBody(RefreshBody) },
  responses: { 204: { description: 'The refresh token family is revoked' }, ...errorResponses },
});

export const me = defineRoute(access.tenantOrPlatform(), {
  method: 'get',
  path: '/me',
  tags,
  responses: {
    200: jsonResponse(
      z.object({
        user: z.object({ id: z.uuid(), email: z.string(), name: z.string(), role: z.string() }),
        tenant: Tenant.nullable(),
      }),
      'The caller',
    ),
    ...errorResponses,
  },
});
