import { createRoute, z } from '@hono/zod-openapi';
import { requireRole, tenantScope } from '../../middleware/auth.js';
import { bearer, createRouter, errorResponses, jsonBody, jsonResponse, PageQuery, page, text } from '../../openapi.js';
import type { TenantEnv } from '../../types.js';
import { Tenant, timezone } from '../tenants/tenants.schemas.js';

const tags = ['Current tenant'];

const get = createRoute({
  method: 'get',
  path: '/tenant',
  tags,
  security: bearer,
  responses: {
    200: jsonResponse(Tenant, "The caller's tenant, plan, limits, features and settings"),
    ...errorResponses,
  },
});

const patchSettings = createRoute({
  method: 'patch',
  path: '/tenant/settings',
  tags,
  security: bearer,
  request: {
    body: jsonBody(
      z
        .strictObject({
          timezone: timezone.optional(),
          branding: z.record(text(64), text(500).nullable()).optional(),
        })
        .openapi('TenantSettingsPatch'),
    ),
  },
  responses: { 200: jsonResponse(Tenant, 'Updated'), ...errorResponses },
});

const AuditEntry = z
  .object({ id: z.uuid(), action: z.string(), actorId: z.uuid().nullable(), data: z.unknown(), createdAt: z.string() })
  .openapi('AuditEntry');

const auditLog = createRoute({
  method: 'get',
  path: '/audit-log',
  tags,
  security: bearer,
  request: { query: z.strictObject(PageQuery) },
  responses: { 200: jsonResponse(page(AuditEntry), "This tenant's audit entries"), ...errorResponses },
});

export function currentTenantRouter() {
  const router = createRouter<TenantEnv>();
  router.use('/tenant/*', tenantScope);
  router.use('/audit-log', tenantScope, requireRole('tenant_admin'));
  router.use('/tenant/settings', requireRole('tenant_admin'));

  return router
    .openapi(get, async (c) => c.json(await c.var.services.currentTenant.get(c.var.tx, c.var.principal.tenantId), 200))
    .openapi(patchSettings, async (c) => {
      const { tenantId, userId } = c.var.principal;
      return c.json(
        await c.var.services.currentTenant.updateSettings(c.var.tx, tenantId, userId, c.req.valid('json')),
        200,
      );
    })
    .openapi(auditLog, async (c) =>
      c.json(
        await c.var.services.currentTenant.auditLog(c.var.tx, c.var.principal.tenantId, c.req.valid('query')),
        200,
      ),
    );
}
