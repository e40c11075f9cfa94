import { createRouter } from '../../openapi.js';
import * as routes from './current-tenant.routes.js';

/** The caller's own tenant: its profile, settings and audit log. */
export function currentTenantRouter() {
  return createRouter()
    .openapi(routes.get, async (c) => c.json(await c.var.services.currentTenant.get(c.var.scope), 200))
    .openapi(routes.patchSettings, async (c) =>
      c.json(await c.var.services.currentTenant.updateSettings(c.var.scope, c.req.valid('json')), 200),
    )
    .openapi(routes.auditLog, async (c) => {
      const { from, to, ...query } = c.req.valid('query');
      const range = { from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined };
      return c.json(await c.var.services.audit.list(c.var.scope, { ...query, ...range }), 200);
    });
}
