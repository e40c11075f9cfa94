import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import {
  asTenant,
  comparable,
  createStudent,
  expectProblem,
  type PageBody,
  readJson,
  type StudentBody,
} from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

// Each operation is tried on B's real id and on an id that never existed: the answers must
// not differ in anything but the request id, so A cannot even learn that the id exists.
const operations = [
  { method: 'GET', body: undefined },
  { method: 'PATCH', body: { firstName: 'Mallory', active: false } },
  { method: 'DELETE', body: undefined },
] as const;

describe('cross-tenant access over HTTP', () => {
  for (const op of operations) {
    it(`when tenant A sends ${op.method} for tenant B's student, then 404 exactly as for a missing id and B's row is untouched`, async () => {
      const a = await h.createTenant();
      const b = await h.createTenant();
      const victim = await createStudent(h, b.token, { firstName: 'Bob', email: 'bob@b.test' });

      const foreign = await h.request(op.method, `/api/v1/students/${victim.id}`, { token: a.token, body: op.body });
      const missing = await h.request(op.method, `/api/v1/students/${randomUUID()}`, { token: a.token, body: op.body });
      const foreignBody = await expectProblem(foreign, 404, 'not_found');
      const missingBody = await expectProblem(missing, 404, 'not_found');
      expect(comparable(foreignBody)).toEqual(comparable(missingBody));
      expect([...foreign.headers.keys()].sort()).toEqual([...missing.headers.keys()].sort());

      const seenByB = await h.request('GET', `/api/v1/students/${victim.id}`, { token: b.token });
      expect(seenByB.status).toBe(200);
      expect(await seenByB.json()).toEqual(victim);
    });
  }

  it("when tenant A lists students, then none of B's rows appear on any page, whatever the filters", async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const own = await createStudent(h, a.token, { firstName: 'Alice' });
    const theirs = await createStudent(h, b.token, { firstName: 'Alice', active: false });
    for (const qs of ['', '?limit=1', '?q=alice', '?active=false', `?q=${theirs.studentNo}`]) {
      const res = await h.request('GET', `/api/v1/students${qs}`, { token: a.token });
      expect(res.status).toBe(200);
      const ids = (await readJson<PageBody<StudentBody>>(res)).data.map((s) => s.id);
      expect(ids).not.toContain(theirs.id);
      if (qs === '' || qs === '?q=alice') expect(ids).toEqual([own.id]);
    }
  });

  it("when A pages with a cursor made from B's id, then it still sees only its own rows", async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const theirs = await createStudent(h, b.token);
    const mine = await createStudent(h, a.token);
    // Cursors encode an id; forging one from B's id must only move A's window, never widen it.
    const cursor = Buffer.from(theirs.id).toString('base64url');
    const res = await h.request('GET', `/api/v1/students?cursor=${cursor}`, { token: a.token });
    expect(res.status).toBe(200);
    const ids = (await readJson<PageBody<StudentBody>>(res)).data.map((s) => s.id);
    expect(ids).toEqual([mine.id]);
    expect(ids).not.toContain(theirs.id);
  });

  it("when A tries to rewrite and delete every one of B's students, then B's data is exactly as before", async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const victims = [await createStudent(h, b.token), await createStudent(h, b.token)];
    const before = await asTenant(h, b, (tx) =>
      tx.student.findMany({ where: { tenantId: b.id }, orderBy: { id: 'asc' } }),
    );
    for (const v of victims) {
      const patch = await h.request('PATCH', `/api/v1/students/${v.id}`, {
        token: a.token,
        body: { studentNo: 'taken-over' },
      });
      await expectProblem(patch, 404, 'not_found');
      await expectProblem(await h.request('DELETE', `/api/v1/students/${v.id}`, { token: a.token }), 404, 'not_found');
    }
    const after = await asTenant(h, b, (tx) =>
      tx.student.findMany({ where: { tenantId: b.id }, orderBy: { id: 'asc' } }),
    );
    expect(after).toEqual(before);
    expect(await asTenant(h, a, (tx) => tx.student.count())).toBe(0);
  });
});
