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

const tags = ['Tenants (platform admin)'];
const one = (method: 'get' | 'patch' | 'delete' | 'post', path: string, description: string) => ({
  method,
  path,
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Tenant, description), ...errorResponses },
});

export const create = defineRoute(access.platform, {
  method: 'post',
  path: '/tenants',
  tags,
  request: { body: jsonBody(TenantCreate) },
  responses: {
    201: jsonResponse(z.object({ tenant: Tenant, admin: TenantUser }), 'Tenant, settings, admin and event created'),
    ...errorResponses,
  },
});

export const list = defineRoute(access.platform, {
  method: 'get',
  path: '/tenants',
  tags,
  request: { query: TenantListQuery },
  responses: { 200: jsonResponse(page(Tenant), 'A page of tenants'), ...errorResponses },
});

export const get = defineRoute(access.platform, one('get', '/tenants/{id}', 'The tenant'));
export const suspend = defineRoute(access.platform, one('post', '/tenants/{id}/suspend', 'Suspended'));
export const reactivate = defineRoute(access.platform, one('post', '/tenants/{id}/reactivate', 'Reactivated'));

export const patch = defineRoute(access.platform, {
  ...one('patch', '/tenants/{id}', 'Updated'),
  request: { params: IdParam, body: jsonBody(TenantPatch) },
});

export const remove = defineRoute(access.platform, {
  method: 'delete',
  path: '/tenants/{id}',
  tags,
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted with all its data' }, ...errorResponses },
});

export const events = defineRoute(access.platform, {
  method: 'get',
  path: '/events',
  tags,
  request: { query: EventListQuery },
  responses: { 200: jsonResponse(page(DomainEvent), 'Domain events'), ...errorResponses },
});
