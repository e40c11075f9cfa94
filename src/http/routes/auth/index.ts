import { anyScope } from '../../middleware/auth.js';
import { createRouter } from '../../openapi.js';
import * as routes from './auth.routes.js';

export function authRouter() {
  const router = createRouter();
  router.use('/me', anyScope);
  return router
    .openapi(routes.login, async (c) => c.json(await c.var.services.auth.login(c.req.valid('json')), 200))
    .openapi(routes.platformLogin, async (c) =>
      c.json(await c.var.services.auth.platformLogin(c.req.valid('json')), 200),
    )
    .openapi(routes.me, async (c) => c.json(await c.var.services.auth.me(c.var.tx, c.var.principal), 200));
}
