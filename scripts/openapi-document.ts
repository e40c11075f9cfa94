// Writes the OpenAPI document the app serves at /openapi.json to a file (or stdout), without a
// database: the document is built from the route declarations alone. Used by `npm run
// lint:openapi`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { createApp } from '../src/app.js';
import type { AppServices } from '../src/http/types.js';

// No request reaches a service: only /openapi.json is asked for.
const app = createApp({ services: {} as AppServices, logger: pino({ enabled: false }) });
const res = await app.request('/openapi.json');
if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
const text = `${JSON.stringify(await res.json(), null, 2)}\n`;
const out = process.argv[2];
if (out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
} else process.stdout.write(text);
