import { createRouter } from '../../openapi.js';
import * as routes from './students.routes.js';

export function studentsRouter() {
  return createRouter()
    .openapi(routes.list, async (c) => {
      const { active, ...query } = c.req.valid('query');
      const result = await c.get('services').students.list(c.get('scope'), {
        ...query,
        active: active === undefined ? undefined : active === 'true',
      });
      return c.json(result, 200);
    })
    .openapi(routes.create, async (c) =>
      c.json(await c.get('services').students.create(c.get('scope'), c.req.valid('json')), 201),
    )
    .openapi(routes.bulk, async (c) =>
      c.json(await c.get('services').students.createMany(c.get('scope'), c.req.valid('json').students), 201),
    )
    .openapi(routes.get, async (c) =>
      c.json(await c.get('services').students.get(c.get('scope'), c.req.valid('param').id), 200),
    )
    .openapi(routes.patch, async (c) =>
      c.json(
        await c.get('services').students.update(c.get('scope'), c.req.valid('param').id, c.req.valid('json')),
        200,
      ),
    )
    .openapi(routes.remove, async (c) => {
      await c.get('services').students.remove(c.get('scope'), c.req.valid('param').id);
      return c.body(null, 204);
    });
}
