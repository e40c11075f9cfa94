import { createRouter } from '../../openapi.js';
import * as routes from './auth.routes.js';
import { loginTenant } from './login-tenant.js';

export function authRouter() {
  return createRouter()
    .openapi(routes.login, async (c) => {
      const { tenant, ...credentials } = c.req.valid('json');
      const slug = loginTenant({ body: tenant, header: c.req.header('x-tenant-slug'), host: c.var.hostTenant });
      return c.json(await c.var.services.auth.login({ tenant: slug, ...credentials }, c.var.clientAddress), 200);
    })
    .openapi(routes.platformLogin, async (c) =>
      c.json(await c.var.services.auth.platformLogin(c.req.valid('json'), c.var.clientAddress), 200),
    )
    .openapi(routes.refresh, async (c) =>
      c.json(await c.var.services.auth.refresh(c.req.valid('json').refreshToken), 200),
    )
    .openapi(routes.logout, async (c) => {
      await c.var.services.auth.logout(c.req.valid('json').refreshToken);
      return c.body(null, 204);
    })
    .openapi(routes.changePassword, async (c) =>
      c.json(await c.var.services.auth.changePassword(c.var.scope, c.req.valid('json'), c.var.clientAddress), 200),
    )
    .openapi(routes.me, async (c) => {
      const { scope } = c.var;
      const me = scope
        ? await c.var.services.auth.me(scope)
        : await c.var.services.auth.platformMe(c.var.principal.userId);
      return c.json(me, 200);
    });
}
