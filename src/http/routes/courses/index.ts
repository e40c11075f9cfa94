import { createRouter } from '../../openapi.js';
import * as courses from './courses.routes.js';
import * as enrollments from './enrollments.routes.js';

export function coursesRouter() {
  return createRouter()
    .openapi(courses.list, async (c) =>
      c.json(await c.get('services').courses.list(c.get('scope'), c.req.valid('query')), 200),
    )
    .openapi(courses.create, async (c) =>
      c.json(await c.get('services').courses.create(c.get('scope'), c.req.valid('json')), 201),
    )
    .openapi(courses.get, async (c) =>
      c.json(await c.get('services').courses.get(c.get('scope'), c.req.valid('param').id), 200),
    )
    .openapi(courses.patch, async (c) =>
      c.json(await c.get('services').courses.update(c.get('scope'), c.req.valid('param').id, c.req.valid('json')), 200),
    )
    .openapi(courses.remove, async (c) => {
      await c.get('services').courses.remove(c.get('scope'), c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(enrollments.list, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await c.get('services').enrollments.list(c.get('scope'), id, c.req.valid('query')), 200);
    })
    .openapi(enrollments.create, async (c) => {
      const { id } = c.req.valid('param');
      const { studentId } = c.req.valid('json');
      return c.json(await c.get('services').enrollments.enroll(c.get('scope'), id, studentId), 201);
    })
    .openapi(enrollments.remove, async (c) => {
      const { id, studentId } = c.req.valid('param');
      await c.get('services').enrollments.unenroll(c.get('scope'), id, studentId);
      return c.body(null, 204);
    });
}
