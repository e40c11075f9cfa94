import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { leaksIn, openAttackWorld } from '../../support/attack-fixtures.js';
import { fresh } from '../../support/attack-routes.js';
import { startAttackServer } from '../../support/attack-server.js';
import { studentInput } from '../../support/http-fixtures.js';

const { h, srv, worlds } = await openAttackWorld(1);
const w = worlds[0]!;

/** Sends, then asserts a 4xx/2xx whose body names no SQLSTATE, table, constraint or stack. */
async function probe(method: string, path: string, body?: unknown, token = w.tenant.token) {
  const res = await srv.call(method, path, { token, body });
  const text = await res.text();
  expect(leaksIn(text), `${method} ${path} → ${res.status} ${text}`).toEqual([]);
  expect(res.status, `${method} ${path} → ${text}`).toBeLessThan(500);
  return res.status;
}
const hex = () => randomBytes(4).toString('hex');

describe('database refusals provoked through the API are not echoed', () => {
  it('when unique values collide (student number, emails, course code, user email, slug), then a clean 409', async () => {
    const email = `dup-${hex()}@x.test`;
    const s = studentInput({ email });
    expect(await probe('POST', '/api/v1/students', s)).toBe(201);
    expect(await probe('POST', '/api/v1/students', { ...s, email: null })).toBe(409);
    expect(await probe('POST', '/api/v1/students', { ...studentInput(), email })).toBe(409);
    expect(await probe('PATCH', `/api/v1/students/${w.student.id}`, { studentNo: s.studentNo })).toBe(409);
    expect(await probe('POST', '/api/v1/students/bulk', { students: [studentInput({ studentNo: s.studentNo })] })).toBe(
      409,
    );
    const twin = studentInput();
    expect(await probe('POST', '/api/v1/students/bulk', { students: [twin, twin] })).toBe(409);
    expect(await probe('POST', '/api/v1/courses', { code: w.course.code, title: 't' })).toBe(409);
    const user = { email: w.staff.email.toUpperCase(), name: 'n', password: 'long-password-1', role: 'viewer' };
    expect(await probe('POST', '/api/v1/users', user)).toBe(409);
    const body = {
      name: 'x',
      slug: w.tenant.slug,
      admin: { email: 'a@x.test', password: 'long-password-1', name: 'a' },
    };
    expect(await probe('POST', '/api/v1/tenants', body, h.platformToken)).toBe(409);
  });

  it('when an enrollment repeats or a course is full, then a clean 409', async () => {
    const path = `/api/v1/courses/${w.course.id}/enrollments`;
    expect(await probe('POST', path, { studentId: w.student.id })).toBe(409);
    const full = await srv.call('POST', '/api/v1/courses', {
      token: w.tenant.token,
      body: { code: `F-${hex()}`, title: 'full', capacity: 0 },
    });
    const { id } = (await full.json()) as { id: string };
    expect(await probe('POST', `/api/v1/courses/${id}/enrollments`, { studentId: w.student.id })).toBe(409);
  });

  for (const [what, over] of [
    ['a date of birth of 0001-01-01', { dateOfBirth: '0001-01-01' }],
    ['a date of birth of 9999-12-31', { dateOfBirth: '9999-12-31' }],
    ['a date of birth of 2023-02-29', { dateOfBirth: '2023-02-29' }],
    ['a date of birth with a time part', { dateOfBirth: '2000-01-01T00:00:00Z' }],
    ['an expanded-year date', { dateOfBirth: '+275760-09-13' }],
    ['a 65-character student number', { studentNo: 'n'.repeat(65) }],
    ['a 100-emoji first name (200 UTF-16 units)', { firstName: '😀'.repeat(100) }],
    ['a 254-character email', { email: `${'e'.repeat(240)}@example.test` }],
  ] as const) {
    it(`when a student has ${what}, then 201 or 400, with nothing of the database in the answer`, async () => {
      expect([201, 400]).toContain(await probe('POST', '/api/v1/students', studentInput(over)));
    });
  }

  for (const capacity of [2147483648, 2147483647, 100_001]) {
    it(`when a course capacity is ${capacity}, then 400 without the database's words`, async () => {
      expect(await probe('POST', '/api/v1/courses', { code: `K-${hex()}`, title: 't', capacity })).toBe(400);
    });
  }

  it('when identical creates race, then each is 201 or 409 and none leaks the unique violation', async () => {
    const s = studentInput();
    const statuses = await Promise.all(Array.from({ length: 6 }, () => probe('POST', '/api/v1/students', s)));
    expect(statuses.filter((x) => x === 201)).toHaveLength(1);
    expect(statuses.filter((x) => x === 409)).toHaveLength(5);
  });

  it('when a student is deleted while being enrolled, then 2xx/404/409 only and no foreign-key error leaks', async () => {
    for (let i = 0; i < 5; i++) {
      const s = await fresh.student(srv, w);
      const course = await fresh.course(srv, w);
      const statuses = await Promise.all([
        probe('POST', `/api/v1/courses/${course.id}/enrollments`, { studentId: s.id }),
        probe('DELETE', `/api/v1/students/${s.id}`),
        probe('DELETE', `/api/v1/courses/${course.id}`),
      ]);
      for (const status of statuses) expect([201, 204, 404, 409]).toContain(status);
    }
  });
});

describe('unknown errors', () => {
  const SECRET = `SECRET-${hex()}`;
  const failures: [string, () => unknown][] = [
    [
      'a raw Prisma error',
      () =>
        Object.assign(
          new Error(
            `Invalid \`prisma.student.findMany()\` invocation: duplicate key value violates unique constraint "students_tenant_id_student_no_key" ${SECRET}`,
          ),
          { code: 'P2002', meta: { target: ['tenant_id', 'student_no'] }, clientVersion: '7.0.0' },
        ),
    ],
    [
      'a raw pg error',
      () =>
        Object.assign(new Error(`relation "students" violates ${SECRET}`), {
          code: '23505',
          detail: `Key (tenant_id, email)=(${SECRET})`,
          table: 'students',
        }),
    ],
    ['a TypeError', () => new TypeError(`Cannot read properties of undefined (reading '${SECRET}')`)],
  ];
  for (const [what, make] of failures) {
    it(`when a service throws ${what}, then a generic 500 internal_error names none of it`, async () => {
      const services = {
        ...h.services,
        students: {
          ...h.services.students,
          list: async () => {
            throw make();
          },
        },
      };
      const broken = await startAttackServer(createApp({ services, logger: pino({ level: 'silent' }) }));
      try {
        const res = await broken.call('GET', '/api/v1/students', { token: w.tenant.token });
        const text = await res.text();
        expect(res.status).toBe(500);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const { requestId, ...rest } = JSON.parse(text) as Record<string, unknown>;
        expect(requestId).toBe(res.headers.get('x-request-id'));
        expect(rest).toEqual({
          type: 'urn:tenantry:problem:internal_error',
          title: 'Internal server error',
          status: 500,
          detail: 'an unexpected error occurred',
          code: 'internal_error',
        });
        expect(text).not.toContain(SECRET);
        expect(leaksIn(text)).toEqual([]);
      } finally {
        await broken.close();
      }
    });
  }
});
