import { z } from '@hono/zod-openapi';
import { access, defineRoute } from '../../access.js';
import { errorResponses, jsonBody, jsonResponse, Problem } from '../../openapi.js';
import { Tenant, TenantCreate, TenantUser } from '../tenants/tenants.schemas.js';

const Registration = TenantCreate.omit({ plan: true, timezone: true }).openapi('TenantRegistration');

export const register = defineRoute(access.public, {
  operationId: 'registerTenant',
  summary: 'Register a new tenant and its first admin (self-service)',
  method: 'post',
  path: '/tenants/register',
  tags: ['Registration'],
  audit: {
    action: 'tenant.registered',
    target: 'tenant',
    id: 'body:tenant.id',
    tenant: 'body:tenant.id',
    actor: 'body:admin.id',
  },
  description:
    'Only where the server runs with `ALLOW_SELF_SIGNUP=true` (otherwise 404). Creates the tenant on the basic plan, ' +
    'its settings, its first tenant admin and the `TenantCreated` event atomically, exactly as a platform admin’s ' +
    'create does. A taken slug is 409; a weak password is 400 (the rules of `/me/password`); each client address ' +
    'may register a few tenants per hour (429 with `Retry-After`).',
  request: {
    body: jsonBody(Registration, {
      name: 'Shelbyville Elementary',
      slug: 'shelbyville-elementary',
      admin: { email: 'principal@shelbyville.example', password: 'a-long-passphrase', name: 'Principal Shelby' },
    }),
  },
  responses: {
    201: jsonResponse(z.object({ tenant: Tenant, admin: TenantUser }), 'Tenant, settings, admin and event created'),
    ...errorResponses,
    404: {
      description: 'Self-service registration is not enabled on this server',
      content: { 'application/problem+json': { schema: Problem } },
    },
    429: {
      description: 'Too many registrations from this client address (`rate_limited`)',
      headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
      content: { 'application/problem+json': { schema: Problem } },
    },
  },
});
