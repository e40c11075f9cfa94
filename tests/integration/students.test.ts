import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import {
  asTenant,
  createStudent,
  expectProblem,
  type PageBody,
  readJson,
  type StudentBody,
  studentInput,
} from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('students CRUD', () => {
  it('when a student is created, then it is returned with 201, readable by id and stored in the tenant', async () => {
    const t = await h.createTenant();
    const input = studentInput({ email: 'ada@example.test', dateOfBirth: '2010-12-10' });
    const res = await h.request('POST', '/api/v1/students', { token: t.token, body: input });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const created = await readJson<StudentBody>(res);
    expect(created).toMatchObject({ ...input, active: true });
    expect(created.id).toMatch(UUID_V7);
    expect(created.createdAt).toMatch(ISO_UTC);

    const got = await h.request('GET', `/api/v1/students/${created.id}`, { token: t.token });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(created);
    const row = await asTenant(h, t, (tx) => tx.student.findMany({ where: { tenantId: t.id } }));
    expect(row.map((r) => [r.id, r.studentNo])).toEqual([[created.id, input.studentNo]]);
  });

  it('when a student is patched, then only the given fields change', async () => {
    const t = await h.createTenant();
    const s = await createStudent(h, t.token, { email: 'old@example.test' });
    const res = await h.request('PATCH', `/api/v1/students/${s.id}`, {
      token: t.token,
      body: { lastName: 'Byron', active: false, email: null },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ...s,
      lastName: 'Byron',
      active: false,
      email: null,
      updatedAt: expect.any(String),
    });
    const row = await asTenant(h, t, (tx) =>
      tx.student.findUnique({ where: { tenantId_id: { tenantId: t.id, id: s.id } } }),
    );
    expect(row).toMatchObject({ firstName: s.firstName, lastName: 'Byron', active: false, email: null });
  });

  it('when a student is deleted, then 204 and it is gone', async () => {
    const t = await h.createTenant();
    const s = await createStudent(h, t.token);
    const res = await h.request('DELETE', `/api/v1/students/${s.id}`, { token: t.token });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectProblem(await h.request('GET', `/api/v1/students/${s.id}`, { token: t.token }), 404, 'not_found');
    await expectProblem(await h.request('DELETE', `/api/v1/students/${s.id}`, { token: t.token }), 404, 'not_found');
    expect(await asTenant(h, t, (tx) => tx.student.count({ where: { tenantId: t.id } }))).toBe(0);
  });

  it('when a student that never existed is read, patched or deleted, then 404 not_found', async () => {
    const t = await h.createTenant();
    const path = `/api/v1/students/${randomUUID()}`;
    await expectProblem(await h.request('GET', path, { token: t.token }), 404, 'not_found');
    await expectProblem(await h.request('PATCH', path, { token: t.token, body: { firstName: 'X' } }), 404, 'not_found');
    await expectProblem(await h.request('DELETE', path, { token: t.token }), 404, 'not_found');
  });
});

describe('students list', () => {
  it('when listing with a limit, then the cursor walks every row once in creation order', async () => {
    const t = await h.createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createStudent(h, t.token)).id);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const res = await h.request('GET', `/api/v1/students${qs}`, { token: t.token });
      expect(res.status).toBe(200);
      const page = await readJson<PageBody<StudentBody>>(res);
      sizes.push(page.data.length);
      seen.push(...page.data.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor && sizes.length < 10);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(ids);
  });

  it('when the rows fit one page exactly, then nextCursor is null', async () => {
    const t = await h.createTenant();
    for (let i = 0; i < 2; i++) await createStudent(h, t.token);
    const page = await readJson<PageBody<StudentBody>>(
      await h.request('GET', '/api/v1/students?limit=2', { token: t.token }),
    );
    expect(page.data).toHaveLength(2);
    expect(page.nextCursor).toBeNull();
  });

  it('when searching with q, then names, studentNo and email match case-insensitively', async () => {
    const t = await h.createTenant();
    const grace = await createStudent(h, t.token, { firstName: 'Grace', lastName: 'Hopper', studentNo: 'NAVY-1' });
    const alan = await createStudent(h, t.token, {
      firstName: 'Alan',
      lastName: 'Turing',
      email: 'enigma@bletchley.test',
    });
    await createStudent(h, t.token, { firstName: 'Edsger', lastName: 'Dijkstra' });
    const search = async (q: string) => {
      const res = await h.request('GET', `/api/v1/students?q=${encodeURIComponent(q)}`, { token: t.token });
      expect(res.status).toBe(200);
      return (await readJson<PageBody<StudentBody>>(res)).data.map((s) => s.id);
    };
    expect(await search('hOPP')).toEqual([grace.id]);
    expect(await search('navy')).toEqual([grace.id]);
    expect(await search('BLETCHLEY')).toEqual([alan.id]);
    expect(await search('nobody-has-this')).toEqual([]);
  });

  it('when q holds LIKE wildcards, then they match literally', async () => {
    const t = await h.createTenant();
    const pct = await createStudent(h, t.token, { firstName: '100%', lastName: 'Sure' });
    await createStudent(h, t.token, { firstName: 'Plain', lastName: 'Name' });
    const ids = async (q: string) =>
      (
        await readJson<PageBody<StudentBody>>(
          await h.request('GET', `/api/v1/students?q=${encodeURIComponent(q)}`, { token: t.token }),
        )
      ).data.map((s) => s.id);
    expect(await ids('%')).toEqual([pct.id]);
    expect(await ids('_')).toEqual([]);
  });

  it('when filtering by active, then only matching students are listed', async () => {
    const t = await h.createTenant();
    const on = await createStudent(h, t.token);
    const off = await createStudent(h, t.token, { active: false });
    const list = async (active: string) =>
      (
        await readJson<PageBody<StudentBody>>(
          await h.request('GET', `/api/v1/students?active=${active}`, { token: t.token }),
        )
      ).data.map((s) => s.id);
    expect(await list('true')).toEqual([on.id]);
    expect(await list('false')).toEqual([off.id]);
    await expectProblem(
      await h.request('GET', '/api/v1/students?active=yes', { token: t.token }),
      400,
      'validation_failed',
    );
  });
});
