import { z } from '@hono/zod-openapi';
import { access, defineRoute } from '../../access.js';
import { errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import {
  DomainEvent,
  EventListQuery,
  Tenant,
  TenantCreate,
  TenantListQuery,
  TenantPatch,
  TenantUser,
} from './tenants.schemas.js';

const tags = ['Tenants (platform admin)'] as const;
const one = (
  method: 'get' | 'patch' | 'delete' | 'post',
  path: string,
  operationId: string,
  summary: string,
  description: string,
) => ({
  method,
  path,
  operationId,
  summary,
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Tenant, description), ...errorResponses },
});

export const create = defineRoute(access.platform, {
  operationId: 'createTenant',
  summary: 'Create a tenant with its first admin',
  method: 'post',
  path: '/tenants',
  tags,
  request: {
    body: jsonBody(TenantCreate, {
      name: 'Springfield High',
      slug: 'springfield-high',
      plan: 'standard',
      timezone: 'America/Chicago',
      admin: { email: 'principal@springfield.example', password: 'a-long-passphrase', name: 'Seymour Skinner' },
    }),
  },
  responses: {
    201: jsonResponse(z.object({ tenant: Tenant, admin: TenantUser }), 'Tenant, settings, admin and event created'),
    ...errorResponses,
  },
});

export const list = defineRoute(access.platform, {
  operationId: 'listTenants',
  summary: 'List tenants',
  method: 'get',
  path: '/tenants',
  tags,
  request: { query: TenantListQuery },
  responses: { 200: jsonResponse(page(Tenant), 'A page of tenants'), ...errorResponses },
});

export const get = defineRoute(access.platform, one('get', '/tenants/{id}', 'getTenant', 'Get a tenant', 'The tenant'));
export const suspend = defineRoute(
  access.platform,
  one('post', '/tenants/{id}/suspend', 'suspendTenant', 'Suspend a tenant', 'Suspended'),
);
export const reactivate = defineRoute(
  access.platform,
  one('post', '/tenants/{id}/reactivate', 'reactivateTenant', 'Reactivate a suspended tenant', 'Reactivated'),
);

export const patch = defineRoute(access.platform, {
  ...one('patch', '/tenants/{id}', 'updateTenant', 'Change a tenant’s name, plan, limits or features', 'Updated'),
  request: {
    params: IdParam,
    body: jsonBody(TenantPatch, { plan: 'standard', limits: { requestsPerMinute: 1200 }, features: { reports: true } }),
  },
});

export const remove = defineRoute(access.platform, {
  operationId: 'deleteTenant',
  summary: 'Delete a tenant and all its data',
  method: 'delete',
  path: '/tenants/{id}',
  tags,
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted with all its data' }, ...errorResponses },
});

export const events = defineRoute(access.platform, {
  operationId: 'listEvents',
  summary: 'List domain events',
  method: 'get',
  path: '/events',
  tags,
  request: { query: EventListQuery },
  responses: { 200: jsonResponse(page(DomainEvent), 'Domain events'), ...errorResponses },
});
