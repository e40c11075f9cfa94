import { createRouter } from '../../openapi.js';
import * as routes from './registration.routes.js';

/** Public self-service registration; the service refuses it unless the server allows it. */
export function registrationRouter() {
  return createRouter().openapi(routes.register, async (c) =>
    c.json(await c.var.services.registration.register(c.var.clientAddress, c.req.valid('json'), c.var.actor), 201),
  );
}
