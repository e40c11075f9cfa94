import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { bodyLimitFor } from '../../src/app.js';
import { serveApp } from '../../src/http/node-server.js';
import type { ProblemBody } from './http-fixtures.js';

export interface CallOptions {
  token?: string;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface AttackServer {
  origin: string;
  /** A real HTTP request through `fetch` against the listening server. */
  call(method: string, path: string, opts?: CallOptions): Promise<Response>;
  /**
   * Bytes on the wire through node:http: any Host header, invalid UTF-8, repeated headers.
   * A fresh connection each time unless a (keep-alive) agent is given.
   */
  raw(
    method: string,
    path: string,
    opts?: { headers?: Record<string, string | string[]>; body?: Buffer | string; agent?: Agent },
  ): Promise<RawResponse>;
  close(): Promise<void>;
}

/** Serves an app's fetch handler on 127.0.0.1 and an ephemeral port, with the listener `npm start` uses. */
export async function startAttackServer(app: { fetch: (req: Request) => Response | Promise<Response> }) {
  const { server, port } = await new Promise<{ server: ReturnType<typeof serveApp>; port: number }>((resolve) => {
    const s = serveApp(app, {
      port: 0,
      hostname: '127.0.0.1',
      bodyLimitFor: (path) => bodyLimitFor(path),
      onListen: (info: AddressInfo) => resolve({ server: s, port: info.port }),
    });
  });
  const origin = `http://127.0.0.1:${port}`;

  const attack: AttackServer = {
    origin,
    call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${origin}${path}`, { method, headers, body });
    },
    raw(method, path, o = {}) {
      return new Promise((resolve, reject) => {
        const target = { host: '127.0.0.1', port, method, path, headers: o.headers, agent: o.agent ?? false };
        const req = httpRequest(target, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(o.body);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return attack;
}

export const bearerOf = (token: string) => ({ authorization: `Bearer ${token}` });

/** Asserts a problem+json answer of a raw response and returns its body. */
export function expectRawProblem(res: RawResponse, status: number, code: string): ProblemBody {
  expect({ status: res.status, body: res.text }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as ProblemBody;
  expect(body).toMatchObject({ status, code });
  return body;
}
