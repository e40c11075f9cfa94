import { Errors } from '../../../domain/errors.js';
import { actorOf } from '../../audit.js';
import { createRouter } from '../../openapi.js';
import type { AppServices } from '../../types.js';
import * as keyRoutes from './signing-keys.routes.js';
import * as routes from './tenants.routes.js';

const keysOf = (services: AppServices) => {
  if (!services.tenantKeys)
    throw Errors.conflict('this server does not sign with per-tenant keys (TENANT_SIGNING_KEYS=false)');
  return services.tenantKeys;
};

// Tenant management runs in platform-plane transactions its service opens; the acting admin
// (with the route's audit intent) is passed along, and the service's transaction writes the entry.
export function tenantsRouter() {
  return createRouter()
    .openapi(routes.create, async (c) =>
      c.json(await c.get('services').tenants.create(actorOf(c.var), c.req.valid('json')), 201),
    )
    .openapi(routes.list, async (c) =>
      c.json(await c.get('services').tenants.list(c.get('principal').userId, c.req.valid('query')), 200),
    )
    .openapi(routes.get, async (c) =>
      c.json(await c.get('services').tenants.get(c.get('principal').userId, c.req.valid('param').id), 200),
    )
    .openapi(routes.patch, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await c.get('services').tenants.update(actorOf(c.var), id, c.req.valid('json')), 200);
    })
    .openapi(routes.suspend, async (c) =>
      c.json(await c.get('services').tenants.suspend(actorOf(c.var), c.req.valid('param').id), 200),
    )
    .openapi(routes.reactivate, async (c) =>
      c.json(await c.get('services').tenants.reactivate(actorOf(c.var), c.req.valid('param').id), 200),
    )
    .openapi(routes.restore, async (c) =>
      c.json(await c.get('services').tenants.restore(actorOf(c.var), c.req.valid('param').id), 200),
    )
    .openapi(routes.purge, async (c) =>
      c.json(await c.get('services').tenants.purge(c.get('principal').userId, c.req.valid('param').id), 200),
    )
    .openapi(routes.remove, async (c) => {
      await c.get('services').tenants.remove(actorOf(c.var), c.req.valid('param').id);
      return c.body(null, 204);
    })
    .openapi(keyRoutes.rotateSigningKey, async (c) =>
      c.json(await keysOf(c.get('services')).rotate(actorOf(c.var), c.req.valid('param').id), 200),
    )
    .openapi(keyRoutes.revokeSigningKey, async (c) =>
      c.json(await keysOf(c.get('services')).revoke(actorOf(c.var), c.req.valid('param').id), 200),
    )
    .openapi(routes.events, async (c) =>
      c.json(await c.get('services').events.list(c.get('principal').userId, c.req.valid('query')), 200),
    )
    .openapi(routes.retryEvent, async (c) => {
      await c.get('services').events.retry(c.get('principal').userId, c.req.valid('param').id);
      return c.body(null, 204);
    });
}
