import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
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
  security: bearer,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Tenant, description), ...errorResponses },
});

export const create = createRoute({
  method: 'post',
  path: '/tenants',
  tags,
  security: bearer,
  request: { body: jsonBody(TenantCreate) },
  responses: {
    201: jsonResponse(z.object({ tenant: Tenant, admin: TenantUser }), 'Tenant, settings, admin and event created'),
    ...errorResponses,
  },
});

export const list = createRoute({
  method: 'get',
  path: '/tenants',
  tags,
  security: bearer,
  request: { query: TenantListQuery },
  responses: { 200: jsonResponse(page(Tenant), 'A page of tenants'), ...errorResponses },
});

export const get = createRoute(one('get', '/tenants/{id}', 'The tenant'));
export const suspend = createRoute(one('post', '/tenants/{id}/suspend', 'Suspended'));
export const reactivate = createRoute(one('post', '/tenants/{id}/reactivate', 'Reactivated'));

export const patch = createRoute({
  ...one('patch', '/tenants/{id}', 'Updated'),
  request: { params: IdParam, body: jsonBody(TenantPatch) },
});

export const remove = createRoute({
  method: 'delete',
  path: '/tenants/{id}',
  tags,
  security: bearer,
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted with all its data' }, ...errorResponses },
});

export const events = createRoute({
  method: 'get',
  path: '/events',
  tags,
  security: bearer,
  request: { query: EventListQuery },
  responses: { 200: jsonResponse(page(DomainEvent), 'Domain events'), ...errorResponses },
});
