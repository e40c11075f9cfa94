import { createRouter } from '../../openapi.js';
import * as routes from './users.routes.js';

export function usersRouter() {
  return createRouter()
    .openapi(routes.list, async (c) =>
      c.json(await c.get('services').users.list(c.get('scope'), c.req.valid('query')), 200),
    )
    .openapi(routes.create, async (c) =>
      c.json(await c.get('services').users.create(c.get('scope'), c.req.valid('json')), 201),
    )
    .openapi(routes.get, async (c) =>
      c.json(await c.get('services').users.get(c.get('scope'), c.req.valid('param').id), 200),
    )
    .openapi(routes.patch, async (c) =>
      c.json(await c.get('services').users.update(c.get('scope'), c.req.valid('param').id, c.req.valid('json')), 200),
    )
    .openapi(routes.remove, async (c) => {
      await c.get('services').users.remove(c.get('scope'), c.req.valid('param').id);
      return c.body(null, 204);
    });
}
