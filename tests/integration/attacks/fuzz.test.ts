import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { leaksIn, openAttackWorld, tenantChecksum, type World } from '../../support/attack-fixtures.js';

const { h, srv, worlds } = await openAttackWorld(3);
const [me, ...others] = worlds as [World, ...World[]];
let sums: string[];
beforeAll(async () => {
  sums = await Promise.all(others.map((o) => tenantChecksum(h, o.tenant.id)));
});

/** Ids the attacker's own requests created (so writes reach real rows), newest last. */
const created: Record<string, string[]> = { students: [], courses: [], users: [] };
const ids = () => [
  me.student.id,
  me.course.id,
  me.staff.id,
  ...Object.values(created).flatMap((list) => list.slice(-8)),
  ...others.flatMap((o) => [o.student.id, o.course.id, o.staff.id, o.tenant.id]),
];
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  "'; DROP TABLE students; --",
  '%',
  '_',
  '\\',
  '$$',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '2147483648',
  '0001-01-01',
  '9999-12-31',
  'null',
  '__proto__',
);
const anyId = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null).chain(() => fc.constantFrom(...ids())) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: nasty },
);
const ownCourse = fc.constant(null).map(() => me.course.id);
const email = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z]{1,8}$/))
  .map(([user, host]) => `${user}@${host}.test`);
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), nasty);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_VALUE, -0, 100_000, 100_001),
);
const value = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }), anyId);
/** A body of the given fields: valid, with a few hostile values, with keys missing or extra, or not an object. */
const bodyOf = (fields: Record<string, fc.Arbitrary<unknown>>) => {
  const risky = (valid: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: value });
  const extra = fc.dictionary(
    fc.oneof(fc.string(), fc.constantFrom('tenantId', 'tenant_id', 'id', 'role', '__proto__')),
    value,
    {
      minKeys: 1,
      maxKeys: 3,
    },
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.record(fields) },
    { weight: 4, arbitrary: fc.record(mapValues(fields, risky)) },
    { weight: 2, arbitrary: fc.record(mapValues(fields, risky), { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.tuple(fc.record(fields), extra).map(([a, b]) => ({ ...b, ...a })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );
};
function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

const plain = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });
/** A valid-looking string, one in four times with a hostile character spliced in. */
const word = fc.oneof(
  { weight: 3, arbitrary: plain },
  {
    weight: 1,
    arbitrary: fc
      .tuple(plain, fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', "'", '\\', '%', '_', '$$', '\ufeff'), plain)
      .map(([a, spike, b]) => `${a}${spike}${b}`),
  },
);
const STUDENT = {
  studentNo: word,
  firstName: word,
  lastName: word,
  email: fc.oneof(email, fc.constant(null)),
  dateOfBirth: fc.oneof(
    fc
      .date({ min: new Date('1900-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
    fc.constant(null),
  ),
  active: fc.boolean(),
};
const COURSE = { code: word, title: word, capacity: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constant(null)) };
const USER = {
  email,
  name: word,
  password: fc.string({ minLength: 12, maxLength: 40 }),
  role: fc.constantFrom('tenant_admin', 'staff', 'viewer', 'platform_admin'),
};
const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('limit', 'cursor', 'q', 'active', 'tenantId'), fc.string()),
      fc.oneof(text, number.map(String)),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, String(v)])).toString());

// A URL cannot carry a lone surrogate; a client would send U+FFFD in its place.
const seg = (id: unknown) => encodeURIComponent(String(id).replace(/[\ud800-\udfff]/gu, '\ufffd'));

/** The invariant of every run: a 2xx or a 4xx problem, nothing of the database in it. */
async function send(method: string, path: string, body?: unknown) {
  const res = await srv.call(method, path, {
    token: me.tenant.token,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const kind = path.split('/')[3] ?? '';
  if (res.status === 201 && kind in created) created[kind]?.push((JSON.parse(text) as { id: string }).id);
  expect(res.status, `${method} ${path} ${JSON.stringify(body)} → ${text}`).toBeLessThan(500);
  expect(leaksIn(text), text).toEqual([]);
  if (res.status >= 400) expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

function run<T>(name: string, numRuns: number, prop: fc.IAsyncProperty<T>) {
  it(`when ${name} gets arbitrary input, then every answer is 2xx/4xx and no other tenant's rows change`, async () => {
    await fc.assert(prop, { numRuns, endOnFailure: true });
    expect(await Promise.all(others.map((o) => tenantChecksum(h, o.tenant.id)))).toEqual(sums);
  });
}

describe('property-based fuzzing of the tenant API', () => {
  run(
    'POST /students',
    150,
    fc.asyncProperty(bodyOf(STUDENT), (b) => send('POST', '/api/v1/students', b)),
  );
  run(
    'PATCH /students/:id',
    120,
    fc.asyncProperty(anyId, bodyOf(STUDENT), (id, b) => send('PATCH', `/api/v1/students/${seg(id)}`, b)),
  );
  run(
    'GET /students',
    150,
    fc.asyncProperty(query, (q) => send('GET', `/api/v1/students?${q}`)),
  );
  run(
    'POST and PATCH /courses',
    120,
    fc.asyncProperty(fc.option(anyId), bodyOf(COURSE), (id, b) =>
      id === null ? send('POST', '/api/v1/courses', b) : send('PATCH', `/api/v1/courses/${seg(id)}`, b),
    ),
  );
  run(
    'POST /courses/:id/enrollments',
    120,
    fc.asyncProperty(fc.oneof(ownCourse, anyId), bodyOf({ studentId: anyId }), (id, b) =>
      send('POST', `/api/v1/courses/${seg(id)}/enrollments`, b),
    ),
  );
  run(
    'DELETE of students and enrollments',
    80,
    fc.asyncProperty(fc.oneof(ownCourse, anyId), anyId, (id, sid) =>
      send('DELETE', `/api/v1/courses/${seg(id)}/enrollments/${seg(sid)}`).then(() =>
        send('DELETE', `/api/v1/students/${seg(sid)}`),
      ),
    ),
  );
  run(
    'POST /users',
    60,
    fc.asyncProperty(bodyOf(USER), (b) => send('POST', '/api/v1/users', b)),
  );
});
