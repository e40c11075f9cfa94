import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CourseBody, createCourse, uniqueCode } from '../support/course-fixtures.js';
import { createHarness, type Harness } from '../support/harness.js';
import { addUser, asTenant, comparable, expectProblem, type PageBody, readJson } from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const url = (id = '') => `/api/v1/courses${id ? `/${id}` : ''}`;

describe('courses CRUD', () => {
  it('when a course is created, then 201, readable by id, listed and stored in the tenant', async () => {
    const t = await h.createTenant();
    const input = { code: uniqueCode(), title: 'Geometry', capacity: 30 };
    const res = await h.request('POST', url(), { token: t.token, body: input });
    expect(res.status).toBe(201);
    const created = await readJson<CourseBody>(res);
    expect(created).toMatchObject(input);

    expect(await (await h.request('GET', url(created.id), { token: t.token })).json()).toEqual(created);
    const list = await readJson<PageBody<CourseBody>>(await h.request('GET', url(), { token: t.token }));
    expect(list).toEqual({ data: [created], nextCursor: null });
    const rows = await asTenant(h, t, (tx) => tx.course.findMany({ where: { tenantId: t.id } }));
    expect(rows.map((r) => [r.id, r.code, r.capacity])).toEqual([[created.id, input.code, 30]]);
  });

  it('when courses span pages, then the cursor walks them all once in creation order', async () => {
    const t = await h.createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createCourse(h, t.token)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page: PageBody<CourseBody> = await readJson(await h.request('GET', `${url()}${q}`, { token: t.token }));
      seen.push(...page.data.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it('when a course is patched, then only the given fields change and capacity can be cleared', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token, { capacity: 10 });
    const res = await h.request('PATCH', url(c.id), { token: t.token, body: { title: 'Calculus', capacity: null } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: c.id, code: c.code, title: 'Calculus', capacity: null });
    const empty = await h.request('PATCH', url(c.id), { token: t.token, body: {} });
    expect(await empty.json()).toMatchObject({ title: 'Calculus', capacity: null });
  });

  it('when a course is deleted, then 204 and a second get is 404', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token);
    expect((await h.request('DELETE', url(c.id), { token: t.token })).status).toBe(204);
    await expectProblem(await h.request('GET', url(c.id), { token: t.token }), 404, 'not_found');
    await expectProblem(await h.request('DELETE', url(c.id), { token: t.token }), 404, 'not_found');
    expect(await asTenant(h, t, (tx) => tx.course.count({ where: { tenantId: t.id } }))).toBe(0);
  });
});

describe('course codes', () => {
  it('when a code is reused within a tenant, then 409 conflict; in another tenant it is allowed', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const code = uniqueCode();
    await createCourse(h, a.token, { code });
    await expectProblem(
      await h.request('POST', url(), { token: a.token, body: { code, title: 'x' } }),
      409,
      'conflict',
    );
    expect((await h.request('POST', url(), { token: b.token, body: { code, title: 'x' } })).status).toBe(201);

    const other = await createCourse(h, a.token);
    await expectProblem(await h.request('PATCH', url(other.id), { token: a.token, body: { code } }), 409, 'conflict');
  });
});

describe('courses across tenants', () => {
  it('when tenant A gets, patches or deletes B’s course, then 404 exactly like a missing id and B’s course is unchanged', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const theirs = await createCourse(h, b.token, { capacity: 5 });
    const missing = randomUUID();
    const cases: [string, Record<string, unknown> | undefined][] = [
      ['GET', undefined],
      ['PATCH', { title: 'hijacked', capacity: 999 }],
      ['DELETE', undefined],
    ];
    for (const [method, body] of cases) {
      const foreign = await expectProblem(
        await h.request(method, url(theirs.id), { token: a.token, body }),
        404,
        'not_found',
      );
      const absent = await expectProblem(
        await h.request(method, url(missing), { token: a.token, body }),
        404,
        'not_found',
      );
      expect(comparable(foreign)).toEqual(comparable(absent));
    }
    expect(await (await h.request('GET', url(theirs.id), { token: b.token })).json()).toEqual(theirs);
    const list = await readJson<PageBody<CourseBody>>(await h.request('GET', url(), { token: a.token }));
    expect(list.data).toEqual([]);
  });
});

describe('course roles and input', () => {
  it('when a viewer reads, then 200; when a viewer writes, then 403 and nothing changes; staff may write', async () => {
    const t = await h.createTenant();
    const c = await createCourse(h, t.token);
    const viewer = await addUser(h, t, 'viewer');
    const staff = await addUser(h, t, 'staff');
    expect((await h.request('GET', url(), { token: viewer.token })).status).toBe(200);
    expect((await h.request('GET', url(c.id), { token: viewer.token })).status).toBe(200);
    const body = { code: uniqueCode(), title: 'x' };
    await expectProblem(await h.request('POST', url(), { token: viewer.token, body }), 403, 'forbidden');
    await expectProblem(
      await h.request('PATCH', url(c.id), { token: viewer.token, body: { title: 'y' } }),
      403,
      'forbidden',
    );
    await expectProblem(await h.request('DELETE', url(c.id), { token: viewer.token }), 403, 'forbidden');
    expect(await (await h.request('GET', url(c.id), { token: t.token })).json()).toEqual(c);
    expect((await h.request('POST', url(), { token: staff.token, body })).status).toBe(201);
  });

  it('when the input is malformed, then 400 validation_failed and nothing is stored', async () => {
    const t = await h.createTenant();
    const bad: Record<string, unknown>[] = [
      { code: 'A1', title: 'x', tenantId: randomUUID() },
      { code: 'A\u0000', title: 'x' },
      { code: '  ', title: 'x' },
      { code: 'A1' },
      { code: 'A1', title: 'x', capacity: -1 },
      { code: 'A1', title: 'x', capacity: 1.5 },
      { code: 'A1', title: 'x', capacity: '3' },
    ];
    for (const body of bad) {
      await expectProblem(await h.request('POST', url(), { token: t.token, body }), 400, 'validation_failed');
    }
    await expectProblem(await h.request('GET', url('not-a-uuid'), { token: t.token }), 400, 'validation_failed');
    await expectProblem(await h.request('GET', `${url()}?limit=0`, { token: t.token }), 400, 'validation_failed');
    await expectProblem(await h.request('GET', `${url()}?cursor=bogus`, { token: t.token }), 400, 'validation_failed');
    expect(await asTenant(h, t, (tx) => tx.course.count({ where: { tenantId: t.id } }))).toBe(0);
  });
});
