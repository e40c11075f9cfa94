import { requirePlatform } from '../../middleware/auth.js';
import { createRouter } from '../../openapi.js';
import * as routes from './tenants.routes.js';

const TENANT_EXPORT = /\/tenants\/[^/]+\/export$/;

// Tenant management runs in its own platform transactions (see TenantService), so these
// routes check the role without opening a request transaction.
export function tenantsRouter() {
  const router = createRouter();
  // The export also admits the tenant's own admin: its service checks the principal.
  router.use('/tenants/*', (c, next) => (TENANT_EXPORT.test(c.req.path) ? next() : requirePlatform(c, next)));
  router.use('/events', requirePlatform);

  return router
    .openapi(routes.create, async (c) => {
      const result = await c.var.services.tenants.create(c.var.principal.userId, c.req.valid('json'));
      return c.json(result, 201);
    })
    .openapi(routes.list, async (c) =>
      c.json(await c.var.services.tenants.list(c.var.principal.userId, c.req.valid('query')), 200),
    )
    .openapi(routes.get, async (c) =>
      c.json(await c.var.services.tenants.get(c.var.principal.userId, c.req.valid('param').id), 200),
    )
    .openapi(routes.patch, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await c.var.services.tenants.update(c.var.principal.userId, id, c.req.valid('json')), 200);
    })
    .openapi(routes.suspend, async (c) =>
      c.json(await c.var.services.tenants.setStatus(c.var.principal.userId, c.req.valid('param').id, 'suspended'), 200),
    )
    .openapi(routes.reactivate, async (c) =>
      c.json(await c.var.services.tenants.setStatus(c.var.principal.userId, c.req.valid('param').id, 'active'), 200),
    )
    .openapi(routes.remove, async (c) => {
      await c.var.services.tenants.remove(c.var.principal.userId, c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(routes.events, async (c) =>
      c.json(await c.var.services.tenants.events(c.var.principal.userId, c.req.valid('query')), 200),
    );
}
