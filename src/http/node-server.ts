import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/** After a refused body: how long and how much of the rest is read and discarded before closing. */
const LINGER_MS = 2000;
const LINGER_BYTES = 64 * 1024 * 1024;

export interface ServeOptions {
  port: number;
  hostname?: string;
  /** The body limit of a request path in bytes (undefined: no limit at this layer). */
  bodyLimitFor(path: string): number | undefined;
  onListen?: (info: AddressInfo) => void;
  /** The longest a request may take to arrive whole, in ms (0: no limit). Node's default: 300 s. */
  requestTimeoutMs?: number;
}

function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Reads and discards what the client still sends after a refusal, for a bounded time and size,
 * then closes (RFC 9112 §9.6): closing at once would reset a client that is still sending,
 * which then never reads the 413 waiting in its receive buffer.
 */
function lingeringClose(req: IncomingMessage, res: ServerResponse): void {
  let read = 0;
  const close = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.socket.destroySoon();
  };
  const onData = (chunk: Buffer) => {
    read += chunk.length;
    if (read > LINGER_BYTES) close();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on('data', onData);
  req.once('end', () => res.writableFinished && close());
  res.once('finish', () => req.readableEnded && close());
  req.resume();
}

// Answered before the app sees the request, in the app's problem shape (http/problem.ts).
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number) {
  const requestId = randomUUID();
  const body = JSON.stringify({
    type: 'urn:tenantry:problem:payload_too_large',
    title: 'Payload too large',
    status: 413,
    detail: `request body exceeds the ${limit >= 1024 * 1024 ? `${limit / 1024 / 1024} MiB` : `${limit} byte`} limit`,
    code: 'payload_too_large',
    requestId,
  });
  res.writeHead(413, {
    'content-type': 'application/problem+json',
    'x-request-id': requestId,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
  lingeringClose(req, res);
}

/**
 * Serves a fetch handler on Node's HTTP server with the transport rule the app cannot see:
 * `Expect: 100-continue` with a declared length over the limit is answered 413 instead of 100
 * (the body is never invited), followed by a lingering close. The app's own 413 (a declared
 * or counted length over the limit, `hono/body-limit`) carries `Connection: close`, and
 * @hono/node-server reads and discards the unread rest (up to 500 ms / 64 MiB) before closing.
 */
export function serveApp(app: { fetch: (req: Request) => Response | Promise<Response> }, opts: ServeOptions): Server {
  const server = serve(
    { fetch: (req) => app.fetch(req), port: opts.port, hostname: opts.hostname },
    opts.onListen,
  ) as Server;
  if (opts.requestTimeoutMs !== undefined) server.requestTimeout = opts.requestTimeoutMs;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const limit = opts.bodyLimitFor(new URL(req.url ?? '/', 'http://x').pathname);
    const length = declaredLength(req);
    if (limit !== undefined && length !== undefined && length > limit) return refuseTooLarge(req, res, limit);
    res.writeContinue();
    server.emit('request', req, res);
  });
  return server;
}
