import { createRouter } from '../../openapi.js';
import * as routes from './students.routes.js';

export function studentsRouter() {
  return createRouter()
    .openapi(routes.list, async (c) => {
      const { active, ...query } = c.req.valid('query');
      const result = await c.var.services.students.list(c.var.scope, {
        ...query,
        active: active === undefined ? undefined : active === 'true',
      });
      return c.json(result, 200);
    })
    .openapi(routes.create, async (c) =>
      c.json(await c.var.services.students.create(c.var.scope, c.req.valid('json')), 201),
    )
    .openapi(routes.bulk, async (c) =>
      c.json(await c.var.services.students.createMany(c.var.scope, c.req.valid('json').students), 201),
    )
    .openapi(routes.get, async (c) =>
      c.json(await c.var.services.students.get(c.var.scope, c.req.valid('param').id), 200),
    )
    .openapi(routes.patch, async (c) =>
      c.json(await c.var.services.students.update(c.var.scope, c.req.valid('param').id, c.req.valid('json')), 200),
    )
    .openapi(routes.remove, async (c) => {
      await c.var.services.students.remove(c.var.scope, c.req.valid('param').id);
      return c.body(null, 204);
    });
}
