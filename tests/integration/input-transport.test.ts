import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import {
  asTenant,
  createStudent,
  expectProblem,
  type PageBody,
  readJson,
  studentInput,
} from '../support/http-fixtures.js';

let h: Harness;
let t: TestTenant;
beforeAll(async () => {
  h = await createHarness();
  t = await h.createTenant();
});
afterAll(() => h.close());

const countStudents = (tenant: TestTenant) =>
  asTenant(h, tenant, (tx) => tx.student.count({ where: { tenantId: tenant.id } }));
const MiB = 1024 * 1024;

describe('body size', () => {
  const oversized = JSON.stringify(studentInput({ firstName: 'y'.repeat(MiB + 10) }));

  for (const [label, headers] of [
    ['with Content-Length', { 'content-type': 'application/json', 'content-length': String(oversized.length) }],
    ['streamed without Content-Length', { 'content-type': 'application/json' }],
  ] as const) {
    it(`when a body over 1 MiB is posted ${label}, then 413 payload_too_large and no row`, async () => {
      const tenant = await h.createTenant();
      const res = await h.request('POST', '/api/v1/students', { token: tenant.token, body: oversized, headers });
      await expectProblem(res, 413, 'payload_too_large');
      expect(await countStudents(tenant)).toBe(0);
    });
  }

  it('when an oversized body is sent to the public login route, then 413 too', async () => {
    const body = JSON.stringify({ tenant: 'x', email: 'a@b.test', password: 'p'.repeat(MiB + 10) });
    await expectProblem(await h.request('POST', '/api/v1/auth/login', { body }), 413, 'payload_too_large');
  });

  it('when a body is just under 1 MiB, then it is validated (400), not refused for size', async () => {
    const body = JSON.stringify(studentInput({ firstName: 'y'.repeat(MiB - 200) }));
    expect(body.length).toBeLessThan(MiB);
    const res = await h.request('POST', '/api/v1/students', { token: t.token, body });
    await expectProblem(res, 400, 'validation_failed');
  });
});

describe('content type', () => {
  const nonJson = [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
  ];

  for (const type of nonJson) {
    it(`when a create is sent as ${type} with a JSON-looking body, then 415 and no row`, async () => {
      const tenant = await h.createTenant();
      const body = JSON.stringify(studentInput());
      const res = await h.request('POST', '/api/v1/students', {
        token: tenant.token,
        body,
        headers: { 'content-type': type },
      });
      await expectProblem(res, 415, 'unsupported_media_type');
      expect(await countStudents(tenant)).toBe(0);
    });
  }

  it('when a patch is sent as text/plain, then 415, not a silent 200, and the row is unchanged', async () => {
    const s = await createStudent(h, t.token);
    const res = await h.request('PATCH', `/api/v1/students/${s.id}`, {
      token: t.token,
      body: JSON.stringify({ firstName: 'Changed' }),
      headers: { 'content-type': 'text/plain' },
    });
    await expectProblem(res, 415, 'unsupported_media_type');
    expect(await h.request('GET', `/api/v1/students/${s.id}`, { token: t.token }).then((r) => r.json())).toEqual(s);
  });

  it('when a patch body carries no content type at all, then 415 and the row is unchanged', async () => {
    const s = await createStudent(h, t.token);
    // A byte body is the one kind that gets no content type added by the Request constructor.
    const res = await h.app.request(`/api/v1/students/${s.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${t.token}` },
      body: new TextEncoder().encode(JSON.stringify({ firstName: 'Changed' })),
    });
    await expectProblem(res, 415, 'unsupported_media_type');
    expect(await h.request('GET', `/api/v1/students/${s.id}`, { token: t.token }).then((r) => r.json())).toEqual(s);
  });

  it('when the JSON type carries a charset, then it is accepted', async () => {
    const res = await h.request('POST', '/api/v1/students', {
      token: t.token,
      body: JSON.stringify(studentInput()),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.status).toBe(201);
  });
});

describe('pagination parameters', () => {
  const badLimits = ['0', '-1', '1e9', '101', '', 'abc', '1.5', '20abc', 'Infinity', '1&limit=2'];
  for (const limit of badLimits) {
    it(`when limit is "${limit}", then 400 validation_failed`, async () => {
      const res = await h.request('GET', `/api/v1/students?limit=${limit}`, { token: t.token });
      await expectProblem(res, 400, 'validation_failed');
    });
  }

  it('when limit is 100 or 1, then 200 with at most that many rows', async () => {
    const tenant = await h.createTenant();
    const students = Array.from({ length: 3 }, () => studentInput());
    expect((await h.request('POST', '/api/v1/students/bulk', { token: tenant.token, body: { students } })).status).toBe(
      201,
    );
    for (const [limit, expected] of [
      [100, 3],
      [1, 1],
    ] as const) {
      const res = await h.request('GET', `/api/v1/students?limit=${limit}`, { token: tenant.token });
      expect(res.status).toBe(200);
      expect((await readJson<PageBody<unknown>>(res)).data).toHaveLength(expected);
    }
  });

  it('when no limit is given, then a page holds 20 rows', async () => {
    const tenant = await h.createTenant();
    const students = Array.from({ length: 21 }, () => studentInput());
    expect((await h.request('POST', '/api/v1/students/bulk', { token: tenant.token, body: { students } })).status).toBe(
      201,
    );
    const page = await readJson<PageBody<unknown>>(await h.request('GET', '/api/v1/students', { token: tenant.token }));
    expect(page.data).toHaveLength(20);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  for (const cursor of ['garbage', '!!!', Buffer.from('not-a-uuid').toString('base64url'), '', 'x'.repeat(300)]) {
    it(`when the cursor is "${cursor.slice(0, 20)}", then 400 validation_failed`, async () => {
      const res = await h.request('GET', `/api/v1/students?cursor=${encodeURIComponent(cursor)}`, { token: t.token });
      await expectProblem(res, 400, 'validation_failed');
    });
  }
});
