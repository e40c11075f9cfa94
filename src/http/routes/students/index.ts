import { requireRole, tenantScope } from '../../middleware/auth.js';
import { createRouter } from '../../openapi.js';
import type { TenantEnv } from '../../types.js';
import * as routes from './students.routes.js';

const writers = requireRole('tenant_admin', 'staff');

export function studentsRouter() {
  const router = createRouter<TenantEnv>();
  router.use('/students/*', tenantScope);
  router.on(['POST', 'PATCH', 'DELETE'], '/students/*', writers);

  return router
    .openapi(routes.list, async (c) => {
      const { limit, cursor, q, active } = c.req.valid('query');
      const { tenantId } = c.var.principal;
      const result = await c.var.services.students.list(c.var.tx, tenantId, {
        limit,
        cursor,
        q,
        active: active === undefined ? undefined : active === 'true',
      });
      return c.json(result, 200);
    })
    .openapi(routes.create, async (c) => {
      const student = await c.var.services.students.create(c.var.tx, c.var.principal.tenantId, c.req.valid('json'));
      return c.json(student, 201);
    })
    .openapi(routes.bulk, async (c) => {
      const { students } = c.req.valid('json');
      return c.json(await c.var.services.students.createMany(c.var.tx, c.var.principal.tenantId, students), 201);
    })
    .openapi(routes.get, async (c) => {
      const student = await c.var.services.students.get(c.var.tx, c.var.principal.tenantId, c.req.valid('param').id);
      return c.json(student, 200);
    })
    .openapi(routes.patch, async (c) => {
      const { id } = c.req.valid('param');
      const student = await c.var.services.students.update(c.var.tx, c.var.principal.tenantId, id, c.req.valid('json'));
      return c.json(student, 200);
    })
    .openapi(routes.remove, async (c) => {
      await c.var.services.students.remove(c.var.tx, c.var.principal.tenantId, c.req.valid('param').id);
      return c.body(null, 204);
    });
}
