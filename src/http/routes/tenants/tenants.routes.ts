import { z } from '@hono/zod-openapi';
import { TENANT_ACTIONS } from '../../../domain/audit.js';
import { access, defineRoute } from '../../access.js';
import { AuditReasonHeader, errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import {
  DomainEvent,
  EventListQuery,
  PurgeResult,
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

/** A platform action on one tenant, recorded in that tenant's audit log with the admin's reason. */
const onTenant = (action: (typeof TENANT_ACTIONS)[keyof typeof TENANT_ACTIONS]) => ({
  audit: { action, target: 'tenant' },
  request: { params: IdParam, headers: AuditReasonHeader },
});

export const create = defineRoute(access.platform, {
  operationId: 'createTenant',
  summary: 'Create a tenant with its first admin',
  method: 'post',
  path: '/tenants',
  tags,
  audit: { action: TENANT_ACTIONS.create, target: 'tenant', id: 'body:tenant.id', tenant: 'body:tenant.id' },
  request: {
    headers: AuditReasonHeader,
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
export const suspend = defineRoute(access.platform, {
  ...one('post', '/tenants/{id}/suspend', 'suspendTenant', 'Suspend a tenant', 'Suspended'),
  ...onTenant(TENANT_ACTIONS.suspend),
});
export const reactivate = defineRoute(access.platform, {
  ...one('post', '/tenants/{id}/reactivate', 'reactivateTenant', 'Reactivate a suspended tenant', 'Reactivated'),
  ...onTenant(TENANT_ACTIONS.reactivate),
});
export const restore = defineRoute(access.platform, {
  ...onTenant(TENANT_ACTIONS.restore),
  ...one(
    'post',
    '/tenants/{id}/restore',
    'restoreTenant',
    'Restore a deleted tenant',
    'Active again, with all its data',
  ),
  request: { params: IdParam, headers: AuditReasonHeader },
  description: 'Only a deleted tenant, before its grace period ends (`purgeAfter`); otherwise 409 invalid_transition.',
});

export const purge = defineRoute(access.platform, {
  operationId: 'purgeTenant',
  summary: 'Purge a deleted tenant now',
  method: 'post',
  path: '/tenants/{id}/purge',
  tags,
  description:
    'Only a deleted tenant (409 invalid_transition otherwise): removes the tenant and every row of it in one ' +
    'transaction, at once rather than at the end of the grace period. Answers the counts removed. The ' +
    'tenant’s audit log goes with it: the purge is recorded as the `TenantPurged` platform event.',
  request: { params: IdParam },
  responses: { 200: jsonResponse(PurgeResult, 'Purged'), ...errorResponses },
});

export const patch = defineRoute(access.platform, {
  ...one('patch', '/tenants/{id}', 'updateTenant', 'Change a tenant’s name, plan, limits or features', 'Updated'),
  audit: { action: TENANT_ACTIONS.update, target: 'tenant' },
  request: {
    params: IdParam,
    headers: AuditReasonHeader,
    body: jsonBody(TenantPatch, { plan: 'standard', limits: { requestsPerMinute: 1200 }, features: { reports: true } }),
  },
});

export const remove = defineRoute(access.platform, {
  operationId: 'deleteTenant',
  summary: 'Delete a tenant (soft: restorable until its grace period ends)',
  method: 'delete',
  path: '/tenants/{id}',
  tags,
  ...onTenant(TENANT_ACTIONS.delete),
  description:
    'Soft delete: its users lose access at once (as if suspended) and it leaves the default list; ' +
    '`POST /tenants/{id}/restore` brings it back until `purgeAfter`, then the sweep purges it.',
  responses: { 204: { description: 'Deleted (restorable during the grace period)' }, ...errorResponses },
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

export const retryEvent = defineRoute(access.platform, {
  operationId: 'retryEvent',
  summary: 'Retry a dead-lettered event',
  method: 'post',
  path: '/events/{id}/retry',
  tags,
  description: 'Puts a dead-lettered event back in the queue (its attempts start over); 409 if it is not failed.',
  request: { params: IdParam },
  responses: { 204: { description: 'Queued for delivery' }, ...errorResponses },
});
