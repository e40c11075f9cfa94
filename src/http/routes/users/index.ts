import { createRouter } from '../../openapi.js';
import * as routes from './users.routes.js';

export function usersRouter() {
  return createRouter()
    .openapi(routes.list, async (c) => c.json(await c.var.services.users.list(c.var.scope, c.req.valid('query')), 200))
    .openapi(routes.create, async (c) =>
      c.json(await c.var.services.users.create(c.var.scope, c.req.valid('json')), 201),
    )
    .openapi(routes.get, async (c) => c.json(await c.var.services.users.get(c.var.scope, c.req.valid('param').id), 200))
    .openapi(routes.patch, async (c) =>
      c.json(await c.var.services.users.update(c.var.scope, c.req.valid('param').id, c.req.valid('json')), 200),
    )
    .openapi(routes.remove, async (c) => {
      await c.var.services.users.remove(c.var.scope, c.req.valid('param').id);
      return c.body(null, 204);
    });
}
