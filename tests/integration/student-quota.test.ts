import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const student = (n: number) => ({ studentNo: `Q-${n}`, firstName: 'Quota', lastName: `No ${n}` });

describe('student quota', () => {
  it('when the plan allows two students, then the third is refused with quota_exceeded and not stored', async () => {
    const t = await h.createTenant();
    const other = await h.createTenant();
    const patch = await h.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: h.platformToken,
      body: { limits: { maxStudents: 2 } },
    });
    expect(patch.status).toBe(200);
    for (const n of [1, 2]) {
      expect((await h.request('POST', '/api/v1/students', { token: t.token, body: student(n) })).status).toBe(201);
    }
    // Another tenant's students never count against this one's quota, nor the reverse.
    expect((await h.request('POST', '/api/v1/students', { token: other.token, body: student(9) })).status).toBe(201);

    const over = await h.request('POST', '/api/v1/students', { token: t.token, body: student(3) });
    expect(over.status).toBe(403);
    expect(((await over.json()) as { code: string }).code).toBe('quota_exceeded');
    const bulk = await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students: [student(4)] } });
    expect(bulk.status).toBe(403);

    const list = (await (await h.request('GET', '/api/v1/students', { token: t.token })).json()) as { data: unknown[] };
    expect(list.data).toHaveLength(2);
  });
});
