import { z } from '@hono/zod-openapi';
import { access, defineRoute } from '../../access.js';
import { dateTime, errorResponses, jsonBody, jsonResponse, PageQuery, page, text, uuid } from '../../openapi.js';
import { Tenant, timezone } from '../tenants/tenants.schemas.js';

const tags = ['Current tenant'] as const;

export const get = defineRoute(access.tenant(), {
  operationId: 'getCurrentTenant',
  summary: 'Get the caller’s tenant',
  method: 'get',
  path: '/tenant',
  tags,
  responses: {
    200: jsonResponse(Tenant, "The caller's tenant, plan, limits, features and settings"),
    ...errorResponses,
  },
});

export const patchSettings = defineRoute(access.tenant(['tenant_admin']), {
  operationId: 'updateTenantSettings',
  summary: 'Update the tenant’s settings',
  method: 'patch',
  path: '/tenant/settings',
  tags,
  request: {
    body: jsonBody(
      z
        .strictObject({
          timezone: timezone.optional(),
          branding: z.record(text(64), text(500).nullable()).optional(),
        })
        .openapi('TenantSettingsPatch'),
      { timezone: 'Europe/Berlin', branding: { primaryColor: '#0b5fff', logoUrl: null } },
    ),
  },
  responses: { 200: jsonResponse(Tenant, 'Updated'), ...errorResponses },
});

const AuditEntry = z
  .object({ id: uuid(), action: z.string(), actorId: uuid().nullable(), data: z.unknown(), createdAt: dateTime() })
  .openapi('AuditEntry');

export const auditLog = defineRoute(access.tenant(['tenant_admin']), {
  operationId: 'listAuditLog',
  summary: 'List the tenant’s audit log',
  method: 'get',
  path: '/audit-log',
  tags,
  request: { query: z.strictObject(PageQuery) },
  responses: { 200: jsonResponse(page(AuditEntry), "This tenant's audit entries"), ...errorResponses },
});
