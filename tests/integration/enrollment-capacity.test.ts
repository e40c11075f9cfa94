import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCourse } from '../support/course-fixtures.js';
import { createHarness, type Harness } from '../support/harness.js';
import { asTenant, createStudent, expectProblem } from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  // More connections than concurrent requests, so the race is real and only the row lock orders it.
  h = await createHarness({ poolSize: 8 });
});
afterAll(() => h.close());

const enroll = (token: string, courseId: string, studentId: string) =>
  h.request('POST', `/api/v1/courses/${courseId}/enrollments`, { token, body: { studentId } });
const enrolledIn = (tenantId: string, courseId: string) =>
  asTenant(h, { id: tenantId }, (tx) => tx.enrollment.findMany({ where: { tenantId, courseId } }));

describe('enrollment capacity', () => {
  it('when five students enroll at once into a course of capacity 2, then exactly two get 201 and the rest 409', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token, { capacity: 2 });
    const students = await Promise.all(Array.from({ length: 5 }, () => createStudent(h, t.token)));
    const responses = await Promise.all(students.map((s) => enroll(t.token, c.id, s.id)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 409, 409, 409]);
    for (const r of responses.filter((x) => x.status === 409)) await expectProblem(r, 409, 'conflict');
    expect(await enrolledIn(t.id, c.id)).toHaveLength(2);
  });

  it('when capacity is cut below the enrolled count, then 409 and the capacity is unchanged', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token, { capacity: 3 });
    for (let i = 0; i < 2; i++)
      expect((await enroll(t.token, c.id, (await createStudent(h, t.token)).id)).status).toBe(201);
    await expectProblem(
      await h.request('PATCH', `/api/v1/courses/${c.id}`, { token: t.token, body: { capacity: 1 } }),
      409,
      'conflict',
    );
    expect(
      (await h.request('PATCH', `/api/v1/courses/${c.id}`, { token: t.token, body: { capacity: 2 } })).status,
    ).toBe(200);
    await expectProblem(await enroll(t.token, c.id, (await createStudent(h, t.token)).id), 409, 'conflict');
  });
});
