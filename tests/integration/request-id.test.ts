import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { createStudent, studentInput } from '../support/http-fixtures.js';

let h: Harness;
let t: TestTenant;
beforeAll(async () => {
  h = await createHarness();
  t = await h.createTenant();
});
afterAll(() => h.close());

type Call = [label: string, send: (headers: Record<string, string>) => Promise<Response>, status: number];

describe('X-Request-Id', () => {
  const calls: Call[] = [
    ['a list', (headers) => h.request('GET', '/api/v1/students', { token: t.token, headers }), 200],
    [
      'a create',
      (headers) => h.request('POST', '/api/v1/students', { token: t.token, headers, body: studentInput() }),
      201,
    ],
    [
      'a delete',
      async (headers) =>
        h.request('DELETE', `/api/v1/students/${(await createStudent(h, t.token)).id}`, { token: t.token, headers }),
      204,
    ],
    [
      'a validation failure',
      (headers) => h.request('GET', '/api/v1/students?limit=0', { token: t.token, headers }),
      400,
    ],
    ['a missing token', (headers) => h.request('GET', '/api/v1/students', { headers }), 401],
    ['a wrong role', (headers) => h.request('GET', '/api/v1/tenants', { token: t.token, headers }), 403],
    ['an unknown route', (headers) => h.request('GET', '/api/v1/nope', { token: t.token, headers }), 404],
    [
      'a non-JSON body',
      (headers) =>
        h.request('POST', '/api/v1/students', {
          token: t.token,
          body: 'x',
          headers: { ...headers, 'content-type': 'text/plain' },
        }),
      415,
    ],
    [
      'a failed login',
      (headers) =>
        h.request('POST', '/api/v1/auth/login', {
          headers,
          body: { tenant: 'nope', email: 'a@b.test', password: 'x' },
        }),
      401,
    ],
    ['the liveness probe', (headers) => h.request('GET', '/health/live', { headers }), 200],
    ['the JWKS', (headers) => h.request('GET', '/.well-known/jwks.json', { headers }), 200],
  ];

  for (const [label, send, status] of calls) {
    it(`when ${label} is answered (${status}), then it carries a generated X-Request-Id, and echoes a sane one`, async () => {
      const generated = await send({});
      expect(generated.status).toBe(status);
      expect(generated.headers.get('x-request-id')).toMatch(/^[\w.:-]{8,128}$/);

      const echoed = await send({ 'x-request-id': 'client-req_42.a:b' });
      expect(echoed.status).toBe(status);
      expect(echoed.headers.get('x-request-id')).toBe('client-req_42.a:b');
    });
  }

  it('when two requests come without an id, then they get different ids', async () => {
    const a = await h.request('GET', '/health/live');
    const b = await h.request('GET', '/health/live');
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  for (const [label, insane] of [
    ['500 characters long', 'a'.repeat(500)],
    ['holding spaces', 'has some spaces'],
    ['holding markup', '<script>alert(1)</script>'],
    ['holding a header-splitting attempt', 'id;x=1,y'],
    ['empty', ''],
  ] as const) {
    it(`when the incoming id is ${label}, then it is replaced by a generated one, also in the problem body`, async () => {
      const res = await h.request('GET', '/api/v1/students?limit=0', {
        token: t.token,
        headers: { 'x-request-id': insane },
      });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[\w.:-]{8,128}$/);
      expect(id).not.toBe(insane);
      expect(((await res.json()) as { requestId: string }).requestId).toBe(id);
    });
  }
});
