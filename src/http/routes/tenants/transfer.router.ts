import { DomainError, Errors } from '../../../domain/errors.js';
import type { ImportOptions } from '../../../services/tenant-transfer.js';
import { actorOf } from '../../audit.js';
import { createRouter } from '../../openapi.js';
import * as routes from './transfer.routes.js';

/**
 * The import route's body rules, applied by the app in place of "JSON under 1 MiB": NDJSON,
 * streamed to the service, which counts its bytes against the import limit as they arrive.
 */
export const TENANT_IMPORT = {
  path: '/api/v1/tenants/import',
  contentType: /^application\/x-ndjson\s*(;.*)?$/i,
} as const;

/**
 * On the Node server, the request's own stream, read only as fast as the import consumes it:
 * the adapter's web stream over it (Readable.toWeb on Node 20) reads ahead without bound, so the
 * whole upload would sit in memory. Used only while nothing has started reading it.
 */
function requestStream(env: unknown): AsyncIterable<Uint8Array> | undefined {
  const incoming = (env as { incoming?: { readableFlowing?: boolean | null } } | undefined)?.incoming;
  if (!incoming || incoming.readableFlowing !== null || !(Symbol.asyncIterator in incoming)) return undefined;
  return incoming as unknown as AsyncIterable<Uint8Array>;
}

const emptyBody = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });

// zod-openapi types JSON and text/plain responses only; the NDJSON stream is a plain Response.
const untyped = (res: Response) => res as never;

export function tenantTransferRouter() {
  return createRouter()
    .openapi(routes.usage, async (c) =>
      c.json(await c.get('services').usage.usage(c.get('principal').userId, c.req.valid('param').id), 200),
    )
    .openapi(routes.stats, async (c) =>
      c.json(await c.get('services').usage.stats(c.get('principal').userId, c.req.valid('query')), 200),
    )
    .openapi(routes.exportTenant, async (c) => {
      const { id } = c.req.valid('param');
      const includeCredentials = c.req.valid('query').includeCredentials === 'true';
      const { principal, logger } = c.var;
      const opts = { onError: (err: unknown) => logger.error({ err, tenantId: id }, 'tenant export aborted') };
      let body: ReadableStream<Uint8Array>;
      if (principal.kind === 'platform') {
        body = await c.get('services').transfer.exportAny(actorOf(c.var), id, { includeCredentials }, opts);
      } else {
        if (includeCredentials) throw Errors.forbidden('credentials are exported for platform admins only');
        body = await c.get('services').transfer.exportOwn(principal, id, { ...opts, audit: c.get('audit') });
      }
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
      const query = c.req.valid('query');
      let options: ImportOptions = {};
      if (query.mode === 'clone') {
        if (!query.slug) throw Errors.validation('a clone needs a slug', [{ path: 'slug', message: 'required' }]);
        options = { mode: 'clone', slug: query.slug, name: query.name };
      } else if (query.slug || query.name) {
        throw Errors.validation('slug and name are for mode=clone', [{ path: 'mode', message: 'must be clone' }]);
      }
      const body = requestStream(c.env) ?? c.req.raw.body ?? emptyBody();
      return c.json(await c.get('services').transfer.import(c.get('principal').userId, body, options), 201);
    });
}
