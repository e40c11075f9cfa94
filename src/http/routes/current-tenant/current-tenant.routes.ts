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
  // Timezone and branding are not secret: the entry keeps the values sent.
  audit: {
    action: 'tenant.settings_updated',
    target: 'tenant',
    id: 'tenant',
    data: ({ body }) => ({ ...(body as object) }),
  },
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
  .object({
    id: uuid(),
    action: z.string().openapi({ example: 'student.created' }),
    actorId: uuid().nullable(),
    actorType: z.enum(['user', 'platform_admin', 'system']),
    targetType: z.string().nullable().openapi({ example: 'student' }),
    targetId: uuid().nullable(),
    requestId: z.string().nullable(),
    reason: z.string().nullable().openapi({ description: 'A platform admin’s X-Audit-Reason' }),
    data: z.unknown(),
    createdAt: dateTime(),
  })
  .openapi('AuditEntry');

const instant = (what: string) =>
  z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: `${what} (ISO-8601 with a time zone)`, example: '2026-11-27T00:00:00Z', maxLength: 40 });

const AuditLogQuery = z
  .strictObject({
    ...PageQuery,
    action: text(200).optional().openapi({ description: 'Only this action', example: 'student.deleted' }),
    actor: uuid().optional().openapi({ description: 'Only entries by this user or platform admin' }),
    from: instant('Entries written at or after this instant'),
    to: instant('Entries written before this instant'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    path: ['to'],
    message: 'must not be before from',
  });

export const auditLog = defineRoute(access.tenant(['tenant_admin']), {
  operationId: 'listAuditLog',
  summary: 'List the tenant’s audit log',
  description:
    'Every change made in the tenant — by its users, and by platform admins acting on it (with their reason) — ' +
    'in the order written (by id, oldest first, like every list), filtered by action, actor and time.',
  method: 'get',
  path: '/audit-log',
  tags,
  request: { query: AuditLogQuery },
  responses: { 200: jsonResponse(page(AuditEntry), "This tenant's audit entries"), ...errorResponses },
});
