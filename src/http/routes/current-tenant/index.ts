import { createRouter } from '../../openapi.js';
import * as routes from './current-tenant.routes.js';

/** The caller's own tenant: its profile, settings and audit log. */
export function currentTenantRouter() {
  return createRouter()
    .openapi(routes.get, async (c) => c.json(await c.get('services').currentTenant.get(c.get('scope')), 200))
    .openapi(routes.patchSettings, async (c) =>
      c.json(await c.get('services').currentTenant.updateSettings(c.get('scope'), c.req.valid('json')), 200),
    )
    .openapi(routes.auditLog, async (c) => {
      const { from, to, ...query } = c.req.valid('query');
      const range = { from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined };
      return c.json(await c.get('services').audit.list(c.get('scope'), { ...query, ...range }), 200);
    });
}
