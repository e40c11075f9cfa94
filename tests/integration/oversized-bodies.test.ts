import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AttackServer, startAttackServer } from '../support/attack-server.js';
import { createHarness, type Harness } from '../support/harness.js';

// A real listening server (the same listener setup as src/server.ts), clients that keep
// sending after the refusal: every one must read its 413, none may see a reset or EPIPE.
const BODY = Buffer.alloc(3 * 1024 * 1024, 0x61);
const CLIENTS = 30;

let h: Harness;
let server: AttackServer;
beforeAll(async () => {
  h = await createHarness();
  server = await startAttackServer(h.app);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

/** Sends the head, then the whole body whatever comes back, and returns what was read. */
function rawExchange(port: number, head: string, body: Buffer): Promise<{ response: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    let error: string | undefined;
    socket.on('data', (d) => {
      response += d.toString('latin1');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
    });
    socket.on('close', () => resolve({ response, error }));
    socket.on('connect', () => {
      socket.write(head);
      // In chunks, as a client streaming a file would.
      let offset = 0;
      const pump = () => {
        while (offset < body.length) {
          const chunk = body.subarray(offset, offset + 64 * 1024);
          offset += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
  });
}

const head = (extra = '') =>
  `POST /api/v1/students HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n${extra}\r\n`;

describe('oversized bodies over a real socket', () => {
  it(`when ${CLIENTS} clients post 3 MiB with fetch, then every one receives 413 payload_too_large`, async () => {
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        fetch(`${server.origin}/api/v1/students`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: BODY,
        }).then(
          async (res) => ({ status: res.status, code: ((await res.json()) as { code: string }).code }),
          (err: Error & { cause?: { code?: string } }) => ({ status: 0, code: err.cause?.code ?? err.message }),
        ),
      ),
    );
    expect(results).toEqual(Array(CLIENTS).fill({ status: 413, code: 'payload_too_large' }));
  });

  it(`when ${CLIENTS} raw sockets keep sending 3 MiB after the answer, then every one reads a 413 and no reset`, async () => {
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, () => rawExchange(Number(new URL(server.origin).port), head(), BODY)),
    );
    for (const r of results) {
      expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
      expect(r.response).toContain('"code":"payload_too_large"');
      expect(r.error).toBeUndefined();
    }
  });

  it('when Expect: 100-continue announces a body over the limit, then the answer is 413 and never 100 Continue', async () => {
    const r = await rawExchange(Number(new URL(server.origin).port), head('Expect: 100-continue\r\n'), BODY);
    expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.response).not.toContain('100 Continue');
    expect(r.response.toLowerCase()).toContain('connection: close');
    expect(r.error).toBeUndefined();
  });

  it('when Expect: 100-continue announces a body within the limit, then 100 Continue and the request is served', async () => {
    const body = Buffer.from(JSON.stringify({ studentNo: 'X', firstName: 'A', lastName: 'B' }));
    const r = await rawExchange(
      Number(new URL(server.origin).port),
      `POST /api/v1/students HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      body,
    );
    expect(r.response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 401 /);
  });
});
