import { requireRole, tenantScope } from '../../middleware/auth.js';
import { createRouter } from '../../openapi.js';
import type { TenantEnv } from '../../types.js';
import * as routes from './users.routes.js';

export function usersRouter() {
  const router = createRouter<TenantEnv>();
  router.use('/users/*', tenantScope);
  router.on(['POST', 'PATCH', 'DELETE'], '/users/*', requireRole('tenant_admin'));

  return router
    .openapi(routes.list, async (c) =>
      c.json(await c.var.services.users.list(c.var.tx, c.var.principal.tenantId, c.req.valid('query')), 200),
    )
    .openapi(routes.create, async (c) =>
      c.json(await c.var.services.users.create(c.var.tx, c.var.principal.tenantId, c.req.valid('json')), 201),
    )
    .openapi(routes.get, async (c) =>
      c.json(await c.var.services.users.get(c.var.tx, c.var.principal.tenantId, c.req.valid('param').id), 200),
    )
    .openapi(routes.patch, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(
        await c.var.services.users.update(c.var.tx, c.var.principal.tenantId, id, c.req.valid('json')),
        200,
      );
    })
    .openapi(routes.remove, async (c) => {
      const { tenantId, userId } = c.var.principal;
      await c.var.services.users.remove(c.var.tx, tenantId, c.req.valid('param').id, userId);
      return c.body(null, 204);
    });
}
