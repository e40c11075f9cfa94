import { createRouter } from '../../openapi.js';
import * as routes from './registration.routes.js';

/** Public self-service registration; the service refuses it unless the server allows it. */
export function registrationRouter() {
  return createRouter().openapi(routes.register, async (c) =>
    c.json(
      await c.get('services').registration.register(c.get('clientAddress'), c.req.valid('json'), c.get('actor')),
      201,
    ),
  );
}
