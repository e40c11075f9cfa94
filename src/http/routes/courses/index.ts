import { requireRole, tenantScope } from '../../middleware/auth.js';
import { createRouter } from '../../openapi.js';
import type { TenantEnv } from '../../types.js';
import * as courses from './courses.routes.js';
import * as enrollments from './enrollments.routes.js';

const writers = requireRole('tenant_admin', 'staff');

export function coursesRouter() {
  const router = createRouter<TenantEnv>();
  router.use('/courses/*', tenantScope);
  router.on(['POST', 'PATCH', 'DELETE'], '/courses/*', writers);

  return router
    .openapi(courses.list, async (c) => {
      const { tenantId } = c.var.principal;
      return c.json(await c.var.services.courses.list(c.var.tx, tenantId, c.req.valid('query')), 200);
    })
    .openapi(courses.create, async (c) => {
      const course = await c.var.services.courses.create(c.var.tx, c.var.principal.tenantId, c.req.valid('json'));
      return c.json(course, 201);
    })
    .openapi(courses.get, async (c) => {
      const course = await c.var.services.courses.get(c.var.tx, c.var.principal.tenantId, c.req.valid('param').id);
      return c.json(course, 200);
    })
    .openapi(courses.patch, async (c) => {
      const { id } = c.req.valid('param');
      const course = await c.var.services.courses.update(c.var.tx, c.var.principal.tenantId, id, c.req.valid('json'));
      return c.json(course, 200);
    })
    .openapi(courses.remove, async (c) => {
      await c.var.services.courses.remove(c.var.tx, c.var.principal.tenantId, c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(enrollments.list, async (c) => {
      const { id } = c.req.valid('param');
      const { tenantId } = c.var.principal;
      return c.json(await c.var.services.enrollments.list(c.var.tx, tenantId, id, c.req.valid('query')), 200);
    })
    .openapi(enrollments.create, async (c) => {
      const { id } = c.req.valid('param');
      const { studentId } = c.req.valid('json');
      const enrollment = await c.var.services.enrollments.enroll(c.var.tx, c.var.principal.tenantId, id, studentId);
      return c.json(enrollment, 201);
    })
    .openapi(enrollments.remove, async (c) => {
      const { id, studentId } = c.req.valid('param');
      await c.var.services.enrollments.unenroll(c.var.tx, c.var.principal.tenantId, id, studentId);
      return c.body(null, 204);
    });
}
