import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCourse, type EnrollmentBody } from '../support/course-fixtures.js';
import { createHarness, type Harness } from '../support/harness.js';
import {
  addUser,
  asTenant,
  comparable,
  createStudent,
  expectProblem,
  type PageBody,
  readJson,
} from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const url = (courseId: string, studentId = '') =>
  `/api/v1/courses/${courseId}/enrollments${studentId ? `/${studentId}` : ''}`;
const enroll = (token: string, courseId: string, studentId: string) =>
  h.request('POST', url(courseId), { token, body: { studentId } });
const enrolledIn = (tenantId: string, courseId: string) =>
  asTenant(h, { id: tenantId }, (tx) => tx.enrollment.findMany({ where: { tenantId, courseId } }));

describe('enrollments', () => {
  it('when a student is enrolled, then 201 with the student, listed, and stored', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token);
    const s = await createStudent(h, t.token);
    const res = await enroll(t.token, c.id, s.id);
    expect(res.status).toBe(201);
    const e = await readJson<EnrollmentBody>(res);
    expect(e).toMatchObject({ courseId: c.id, studentId: s.id, student: { id: s.id, studentNo: s.studentNo } });
    const list = await readJson<PageBody<EnrollmentBody>>(await h.request('GET', url(c.id), { token: t.token }));
    expect(list).toEqual({ data: [e], nextCursor: null });
    expect((await enrolledIn(t.id, c.id)).map((r) => r.studentId)).toEqual([s.id]);
  });

  it('when enrollments span pages, then the cursor walks every student once', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await createStudent(h, t.token);
      ids.push(s.id);
      expect((await enroll(t.token, c.id, s.id)).status).toBe(201);
    }
    const first = await readJson<PageBody<EnrollmentBody>>(
      await h.request('GET', `${url(c.id)}?limit=2`, { token: t.token }),
    );
    const next = `${url(c.id)}?limit=2&cursor=${first.nextCursor}`;
    const second = await readJson<PageBody<EnrollmentBody>>(await h.request('GET', next, { token: t.token }));
    expect([...first.data, ...second.data].map((e) => e.studentId)).toEqual(ids);
    expect(second.nextCursor).toBeNull();
  });

  it('when a student is enrolled twice, then 409; when unenrolled, then 204 and a second delete is 404', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token);
    const s = await createStudent(h, t.token);
    expect((await enroll(t.token, c.id, s.id)).status).toBe(201);
    await expectProblem(await enroll(t.token, c.id, s.id), 409, 'conflict');
    expect((await h.request('DELETE', url(c.id, s.id), { token: t.token })).status).toBe(204);
    await expectProblem(await h.request('DELETE', url(c.id, s.id), { token: t.token }), 404, 'not_found');
    expect(await enrolledIn(t.id, c.id)).toEqual([]);
  });

  it('when a student or a course is deleted, then its enrollments go with it', async () => {
    const t = await h.createTenant();
    const [c1, c2] = [await createCourse(h, t.token), await createCourse(h, t.token)];
    const [s1, s2] = [await createStudent(h, t.token), await createStudent(h, t.token)];
    for (const [c, s] of [
      [c1, s1],
      [c1, s2],
      [c2, s1],
    ] as const)
      expect((await enroll(t.token, c.id, s.id)).status).toBe(201);
    expect((await h.request('DELETE', `/api/v1/students/${s1.id}`, { token: t.token })).status).toBe(204);
    expect((await enrolledIn(t.id, c1.id)).map((r) => r.studentId)).toEqual([s2.id]);
    expect(await enrolledIn(t.id, c2.id)).toEqual([]);
    expect((await h.request('DELETE', `/api/v1/courses/${c1.id}`, { token: t.token })).status).toBe(204);
    expect(await asTenant(h, t, (tx) => tx.enrollment.count({ where: { tenantId: t.id } }))).toBe(0);
  });
});

describe('enrollments across tenants', () => {
  it('when A enrolls B’s student or into B’s course, then 404 like a missing id and B’s data is unchanged', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const [ca, sa] = [await createCourse(h, a.token), await createStudent(h, a.token)];
    const [cb, sb] = [await createCourse(h, b.token), await createStudent(h, b.token)];
    expect((await enroll(b.token, cb.id, sb.id)).status).toBe(201);
    const missing = await expectProblem(await enroll(a.token, ca.id, randomUUID()), 404, 'not_found');

    const theirStudent = await expectProblem(await enroll(a.token, ca.id, sb.id), 404, 'not_found');
    expect(comparable(theirStudent)).toEqual(comparable(missing));
    await expectProblem(await enroll(a.token, cb.id, sa.id), 404, 'not_found');
    await expectProblem(await h.request('GET', url(cb.id), { token: a.token }), 404, 'not_found');
    await expectProblem(await h.request('DELETE', url(cb.id, sb.id), { token: a.token }), 404, 'not_found');

    expect(await enrolledIn(a.id, ca.id)).toEqual([]);
    expect((await enrolledIn(b.id, cb.id)).map((r) => r.studentId)).toEqual([sb.id]);
    const bList = await readJson<PageBody<EnrollmentBody>>(await h.request('GET', url(cb.id), { token: b.token }));
    expect(bList.data.map((e) => e.studentId)).toEqual([sb.id]);
  });
});

describe('enrollment roles and input', () => {
  it('when a viewer lists, then 200; when a viewer enrolls or unenrolls, then 403; staff may', async () => {
    const t = await h.createTenant();
    const [c, s] = [await createCourse(h, t.token), await createStudent(h, t.token)];
    const viewer = await addUser(h, t, 'viewer');
    const staff = await addUser(h, t, 'staff');
    expect((await h.request('GET', url(c.id), { token: viewer.token })).status).toBe(200);
    await expectProblem(await enroll(viewer.token, c.id, s.id), 403, 'forbidden');
    expect((await enroll(staff.token, c.id, s.id)).status).toBe(201);
    await expectProblem(await h.request('DELETE', url(c.id, s.id), { token: viewer.token }), 403, 'forbidden');
    expect(await enrolledIn(t.id, c.id)).toHaveLength(1);
  });

  it('when ids or bodies are malformed, then 400 validation_failed', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token);
    const id = randomUUID();
    const post = (body: unknown, courseId = c.id) => h.request('POST', url(courseId), { token: t.token, body });
    await expectProblem(await post({ studentId: 'nope' }), 400, 'validation_failed');
    await expectProblem(await post({ studentId: id, tenantId: id }), 400, 'validation_failed');
    await expectProblem(await post({}), 400, 'validation_failed');
    await expectProblem(await post({ studentId: id }, 'nope'), 400, 'validation_failed');
    await expectProblem(await h.request('DELETE', url(c.id, 'nope'), { token: t.token }), 400, 'validation_failed');
  });
});
