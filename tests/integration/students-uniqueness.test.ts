import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { asTenant, createStudent, expectProblem, readJson, studentInput, uniqueNo } from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const countStudents = (t: { id: string }) => asTenant(h, t, (tx) => tx.student.count({ where: { tenantId: t.id } }));

describe('student uniqueness is per tenant', () => {
  it('when a studentNo is reused within one tenant, then 409 conflict and no second row', async () => {
    const t = await h.createTenant();
    const first = await createStudent(h, t.token);
    const res = await h.request('POST', '/api/v1/students', {
      token: t.token,
      body: studentInput({ studentNo: first.studentNo }),
    });
    await expectProblem(res, 409, 'conflict');
    expect(await countStudents(t)).toBe(1);
  });

  it('when an email is reused within one tenant, then 409 conflict', async () => {
    const t = await h.createTenant();
    await createStudent(h, t.token, { email: 'twin@example.test' });
    const res = await h.request('POST', '/api/v1/students', {
      token: t.token,
      body: studentInput({ email: 'twin@example.test' }),
    });
    await expectProblem(res, 409, 'conflict');
    expect(await countStudents(t)).toBe(1);
  });

  it('when a patch takes another student’s studentNo, then 409 and the row is unchanged', async () => {
    const t = await h.createTenant();
    const a = await createStudent(h, t.token);
    const b = await createStudent(h, t.token);
    await expectProblem(
      await h.request('PATCH', `/api/v1/students/${b.id}`, { token: t.token, body: { studentNo: a.studentNo } }),
      409,
      'conflict',
    );
    const row = await asTenant(h, t, (tx) =>
      tx.student.findUnique({ where: { tenantId_id: { tenantId: t.id, id: b.id } } }),
    );
    expect(row?.studentNo).toBe(b.studentNo);
  });

  it('when two tenants use the same studentNo and email, then both are created', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const same = { studentNo: uniqueNo(), email: 'shared@example.test' };
    const inA = await createStudent(h, a.token, same);
    const inB = await createStudent(h, b.token, same);
    expect(inA.id).not.toBe(inB.id);
    expect(await countStudents(a)).toBe(1);
    expect(await countStudents(b)).toBe(1);
  });
});

describe('bulk create', () => {
  it('when every student is new, then 201 with all ids, in the tenant', async () => {
    const t = await h.createTenant();
    const students = [studentInput(), studentInput(), studentInput()];
    const res = await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students } });
    expect(res.status).toBe(201);
    const body = await readJson<{ created: number; ids: string[] }>(res);
    expect(body.created).toBe(3);
    const rows = await asTenant(h, t, (tx) =>
      tx.student.findMany({ where: { tenantId: t.id }, orderBy: { studentNo: 'asc' } }),
    );
    expect(rows.map((r) => r.id).sort()).toEqual([...body.ids].sort());
  });

  it('when the batch holds a duplicate studentNo, then 409 and none of it is created', async () => {
    const t = await h.createTenant();
    const dup = uniqueNo();
    const students = [
      studentInput(),
      studentInput({ studentNo: dup }),
      studentInput(),
      studentInput({ studentNo: dup }),
    ];
    await expectProblem(
      await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students } }),
      409,
      'conflict',
    );
    expect(await countStudents(t)).toBe(0);
  });

  it('when one student of the batch collides with an existing row, then 409 and only the old row remains', async () => {
    const t = await h.createTenant();
    const existing = await createStudent(h, t.token);
    const students = [studentInput(), studentInput({ studentNo: existing.studentNo })];
    await expectProblem(
      await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students } }),
      409,
      'conflict',
    );
    const rows = await asTenant(h, t, (tx) => tx.student.findMany({ where: { tenantId: t.id } }));
    expect(rows.map((r) => r.id)).toEqual([existing.id]);
  });

  it('when one student of the batch is invalid, then 400 naming its path and nothing is created', async () => {
    const t = await h.createTenant();
    const students = [studentInput(), studentInput({ firstName: '' })];
    const body = await expectProblem(
      await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students } }),
      400,
      'validation_failed',
    );
    expect(body.errors?.map((e) => e.path)).toContain('students.1.firstName');
    expect(await countStudents(t)).toBe(0);
  });

  it('when the batch is empty or over 1000, then 400', async () => {
    const t = await h.createTenant();
    const over = Array.from({ length: 1001 }, () => studentInput());
    for (const students of [[], over]) {
      await expectProblem(
        await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students } }),
        400,
        'validation_failed',
      );
    }
    expect(await countStudents(t)).toBe(0);
  });
});
