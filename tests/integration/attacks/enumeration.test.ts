import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { openAttackWorld, type World } from '../../support/attack-fixtures.js';

const { h, srv, worlds } = await openAttackWorld(2);
const [a, b] = worlds as [World, World];

// Per-request by nature: the request id, the clock, and the rate-limit window's countdown.
const VOLATILE = new Set(['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset']);

/** Status, headers and body bytes of an answer, with only the request id and date masked. */
async function fingerprint(res: Response) {
  const requestId = res.headers.get('x-request-id') ?? '<none>';
  const body = (await res.text()).replaceAll(requestId, '<request-id>');
  const headers = [...res.headers.entries()].map(([k, v]) => (VOLATILE.has(k) ? [k, '<masked>'] : [k, v])).sort();
  return { status: res.status, headers, body };
}

async function expectIndistinguishable(calls: [string, () => Promise<Response>][]) {
  const prints = await Promise.all(
    calls.map(async ([label, call]) => [label, await fingerprint(await call())] as const),
  );
  const [, first] = prints[0] ?? [];
  for (const [label, print] of prints) expect(print, label).toEqual(first);
  return first;
}

describe('login refusals do not tell which part was wrong', () => {
  const login = (tenant: string, email: string, password: string) => () =>
    srv.call('POST', '/api/v1/auth/login', { body: { tenant, email, password } });

  it('when the tenant, the email or the password is wrong, then status, headers and bytes are identical', async () => {
    const first = await expectIndistinguishable([
      ['unknown tenant', login(`nope-${a.tenant.slug}`, a.tenant.adminEmail, a.tenant.adminPassword)],
      ['unknown email', login(a.tenant.slug, `nobody@${a.tenant.slug}.test`, a.tenant.adminPassword)],
      ['wrong password', login(a.tenant.slug, a.tenant.adminEmail, 'wrong-password-1')],
      ["another tenant's user", login(a.tenant.slug, b.tenant.adminEmail, b.tenant.adminPassword)],
      ['a platform admin', login(a.tenant.slug, h.platformEmail, 'platform-password-1')],
      ['a staff user with a wrong password', login(a.tenant.slug, a.staff.email, `${a.staff.password}x`)],
    ]);
    expect(first?.status).toBe(401);
    expect(first?.body).toContain('"code":"unauthorized"');
  });

  it('when the platform login gets an unknown email or a wrong password, then the answers are identical', async () => {
    const platform = (email: string, password: string) => () =>
      srv.call('POST', '/api/v1/auth/platform/login', { body: { email, password } });
    const first = await expectIndistinguishable([
      ['unknown email', platform(`nobody-${uuidv7()}@platform.test`, 'platform-password-1')],
      ['wrong password', platform(h.platformEmail, 'wrong-password-1')],
      ['a tenant admin', platform(a.tenant.adminEmail, a.tenant.adminPassword)],
    ]);
    expect(first?.status).toBe(401);
  });
});

describe("another tenant's ids answer exactly like ids that never existed", () => {
  const get = (path: string) => () => srv.call('GET', path, { token: a.tenant.token });
  for (const [what, path] of [
    ['student', (w: World) => `/api/v1/students/${w.student.id}`],
    ['course', (w: World) => `/api/v1/courses/${w.course.id}`],
    ['user', (w: World) => `/api/v1/users/${w.staff.id}`],
    ['enrollment list', (w: World) => `/api/v1/courses/${w.course.id}/enrollments`],
  ] as const) {
    it(`when A reads B's ${what} or a missing one, then status, headers and bytes are identical 404s`, async () => {
      const missing = { student: { id: uuidv7() }, course: { id: uuidv7() }, staff: { id: uuidv7() } } as World;
      const first = await expectIndistinguishable([
        ['foreign', get(path(b))],
        ['missing', get(path(missing))],
      ]);
      expect(first?.status).toBe(404);
    });
  }

  it("when A enrolls B's student or a missing one into its own course, then identical 404s", async () => {
    const enroll = (studentId: string) => () =>
      srv.call('POST', `/api/v1/courses/${a.course.id}/enrollments`, { token: a.tenant.token, body: { studentId } });
    const first = await expectIndistinguishable([
      ['foreign student', enroll(b.student.id)],
      ['missing student', enroll(uuidv7())],
    ]);
    expect(first?.status).toBe(404);
  });
});

describe('uniqueness is per tenant, so conflicts reveal nothing about another tenant', () => {
  it("when A reuses B's student number, email, course code and user email, then every create succeeds", async () => {
    const token = a.tenant.token;
    const student = { studentNo: b.student.studentNo, firstName: 'x', lastName: 'y', email: b.student.email };
    expect((await srv.call('POST', '/api/v1/students', { token, body: student })).status).toBe(201);
    expect(
      (await srv.call('POST', '/api/v1/courses', { token, body: { code: b.course.code, title: 't' } })).status,
    ).toBe(201);
    const user = { email: b.staff.email, name: 'n', password: 'long-password-1', role: 'viewer' };
    expect((await srv.call('POST', '/api/v1/users', { token, body: user })).status).toBe(201);
  });
});
