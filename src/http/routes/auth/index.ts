import { createRouter } from '../../openapi.js';
import * as routes from './auth.routes.js';
import { loginTenant } from './login-tenant.js';

export function authRouter() {
  return createRouter()
    .openapi(routes.login, async (c) => {
      const { tenant, ...credentials } = c.req.valid('json');
      const slug = loginTenant({ body: tenant, header: c.req.header('x-tenant-slug'), host: c.get('hostTenant') });
      return c.json(await c.get('services').auth.login({ tenant: slug, ...credentials }, c.get('clientAddress')), 200);
    })
    .openapi(routes.platformLogin, async (c) =>
      c.json(await c.get('services').auth.platformLogin(c.req.valid('json'), c.get('clientAddress')), 200),
    )
    .openapi(routes.refresh, async (c) =>
      c.json(await c.get('services').auth.refresh(c.req.valid('json').refreshToken), 200),
    )
    .openapi(routes.logout, async (c) => {
      await c.get('services').auth.logout(c.req.valid('json').refreshToken);
      return c.body(null, 204);
    })
    .openapi(routes.changePassword, async (c) =>
      c.json(
        await c.get('services').auth.changePassword(c.get('scope'), c.req.valid('json'), c.get('clientAddress')),
        200,
      ),
    )
    .openapi(routes.me, async (c) => {
      const scope = c.get('scope');
      const me = scope
        ? await c.get('services').auth.me(scope)
        : await c.get('services').auth.platformMe(c.get('principal').userId);
      return c.json(me, 200);
    });
}
