import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../../types.js';

/**
 * The API reference page (`/docs`), served whole by the app: the Scalar standalone bundle comes
 * from the pinned `@scalar/api-reference` package, so the page works without internet and
 * loads nothing from another host (the content security policy forbids it too).
 */

// The package exports no path to its browser bundle; it sits beside the resolved entry point.
const DIST = dirname(createRequire(import.meta.url).resolve('@scalar/api-reference'));
const BUNDLE = join(DIST, 'browser/standalone.js');
const VERSION = (JSON.parse(readFileSync(join(DIST, '../package.json'), 'utf8')) as { version: string }).version;
const BUNDLE_PATH = `/docs/assets/scalar-api-reference-${VERSION}.js`;
const INIT_PATH = '/docs/assets/init.js';

/** Same-origin only; Scalar's components set inline styles, and it renders fonts as data: or local ones. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Scalar's own defaults reach its font host, its proxy and its agent; all off.
const CONFIG = {
  url: '/openapi.json',
  withDefaultFonts: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Tenantry API</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <div id="app"></div>
    <script src="${BUNDLE_PATH}"></script>
    <script src="${INIT_PATH}"></script>
  </body>
</html>
`;

const INIT = `Scalar.createApiReference('#app', ${JSON.stringify(CONFIG)});\n`;

let bundle: string | undefined;

const secure = (c: Context<AppEnv>) => {
  c.header('Content-Security-Policy', DOCS_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
};

export function docsRouter() {
  return new Hono<AppEnv>()
    .get('/docs', (c) => {
      secure(c);
      return c.html(PAGE);
    })
    .get(INIT_PATH, (c) => {
      secure(c);
      c.header('Content-Type', 'text/javascript; charset=utf-8');
      c.header('Cache-Control', 'no-cache');
      return c.body(INIT);
    })
    .get(BUNDLE_PATH, (c) => {
      secure(c);
      bundle ??= readFileSync(BUNDLE, 'utf8');
      c.header('Content-Type', 'text/javascript; charset=utf-8');
      // The file name carries the pinned version: a new version is a new URL.
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.body(bundle);
    });
}
