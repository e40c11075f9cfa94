import { DomainError } from '../../../domain/errors.js';
import { requirePlatform } from '../../middleware/auth.js';
import { createRouter } from '../../openapi.js';
import * as routes from './transfer.routes.js';

/** The import route's body rules, applied by the app in place of "JSON under 1 MiB". */
export const TENANT_IMPORT = {
  path: '/api/v1/tenants/import',
  maxBytes: 50 * 1024 * 1024,
  contentType: /^application\/x-ndjson\s*(;.*)?$/i,
} as const;

// zod-openapi types JSON and text/plain responses only; the NDJSON stream is a plain Response.
const untyped = (res: Response) => res as never;

// Platform services open their own transactions; the export admits a tenant admin too and
// checks the principal in its service.
export function tenantTransferRouter() {
  const router = createRouter();
  router.use('/admin/*', requirePlatform);
  router.use('/tenants/:id/usage', requirePlatform);
  router.use('/tenants/import', requirePlatform);

  return router
    .openapi(routes.usage, async (c) =>
      c.json(await c.var.services.usage.usage(c.var.principal.userId, c.req.valid('param').id), 200),
    )
    .openapi(routes.stats, async (c) => c.json(await c.var.services.usage.stats(c.var.principal.userId), 200))
    .openapi(routes.exportTenant, async (c) => {
      const { id } = c.req.valid('param');
      const logger = c.var.logger;
      const body = await c.var.services.transfer.export(c.var.principal, id, {
        onError: (err) => logger.error({ err, tenantId: id }, 'tenant export aborted'),
      });
      return untyped(
        c.body(body, 200, {
          'content-type': 'application/x-ndjson; charset=utf-8',
          'content-disposition': `attachment; filename="tenant-${id}.ndjson"`,
          'cache-control': 'no-store',
        }),
      );
    })
    .openapi(routes.importTenant, async (c) => {
      if (!TENANT_IMPORT.contentType.test(c.req.header('content-type') ?? '')) {
        throw new DomainError('unsupported_media_type', 'an import body must be application/x-ndjson');
      }
      return c.json(await c.var.services.transfer.import(c.var.principal.userId, await c.req.text()), 201);
    });
}
