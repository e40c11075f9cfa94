import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('students API', () => {
  it('when a tenant admin creates a student, then it is listed for that tenant only', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const created = await h.request('POST', '/api/v1/students', {
      token: a.token,
      body: { studentNo: 'S-1', firstName: 'Ada', lastName: 'Lovelace' },
    });
    expect(created.status).toBe(201);
    const listA = (await (await h.request('GET', '/api/v1/students', { token: a.token })).json()) as {
      data: unknown[];
    };
    const listB = (await (await h.request('GET', '/api/v1/students', { token: b.token })).json()) as {
      data: unknown[];
    };
    expect(listA.data).toHaveLength(1);
    expect(listB.data).toHaveLength(0);
  });
});
