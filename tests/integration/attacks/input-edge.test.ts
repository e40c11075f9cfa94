import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { login, openAttackWorld, tenantChecksum } from '../../support/attack-fixtures.js';
import { bearerOf, expectRawProblem } from '../../support/attack-server.js';
import { expectProblem, studentInput } from '../../support/http-fixtures.js';

const { h, srv, worlds } = await openAttackWorld(1);
const w = worlds[0]!;

const PAYLOADS: [string, string][] = [
  ['SQL comment injection', "'; DROP TABLE students; --"],
  ['a quote tautology', "' OR '1'='1"],
  ['a lone backslash', '\\'],
  ['LIKE wildcards', '%_%'],
  ['dollar quoting', '$$ SELECT 1 $$'],
  ['a bind placeholder', '$1'],
  ['an RTL override', 'abc\u202Etxt.exe'],
  ['a zero-width joiner', 'a\u200Db\u200Bc'],
  ['an emoji family (ZWJ sequence)', '👩‍👩‍👧‍👦'],
  ['stacked combining marks', 'e\u0301\u0302\u0303\u0304'],
  ['a byte order mark', '\uFEFFname'],
  ['a lone high surrogate', 'x\uD800y'],
  ['a lone low surrogate', 'x\uDFFFy'],
];

const suffix = () => randomBytes(4).toString('hex');
const unique = (field: string, v: string) =>
  field === 'email' ? `${v}${suffix()}@x.test` : ['studentNo', 'code'].includes(field) ? `${v}-${suffix()}` : v;
/** Percent-encodes like a client that writes lone surrogates as their 3-byte (WTF-8) form. */
const wtf8 = (s: string) =>
  [...s]
    .map((ch) => {
      const c = ch.codePointAt(0) ?? 0;
      if (c < 0xd800 || c > 0xdfff) return encodeURIComponent(ch);
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)].map((x) => `%${x.toString(16)}`).join('');
    })
    .join('');

// Every string field of the create routes; unique ones get a suffix so repeats do not conflict.
const FIELDS: { route: string; field: string; build: (v: string) => Record<string, unknown> }[] = [
  ...['studentNo', 'firstName', 'lastName', 'email'].map((field) => ({
    route: '/students',
    field,
    build: (v: string) => studentInput({ [field]: unique(field, v) }),
  })),
  ...['code', 'title'].map((field) => ({
    route: '/courses',
    field,
    build: (v: string) => ({ code: `C-${suffix()}`, title: 'T', [field]: unique(field, v) }),
  })),
  ...['email', 'name', 'password'].map((field) => ({
    route: '/users',
    field,
    build: (v: string) => ({
      email: `u-${suffix()}@x.test`,
      name: 'N',
      password: 'long-password-1',
      role: 'viewer',
      [field]: field === 'password' ? `${v}-long-password` : unique(field, v),
    }),
  })),
];

describe('SQL meta-characters and unicode edge cases in every string field', () => {
  for (const [what, payload] of PAYLOADS) {
    it(`when every string field carries ${what}, then each is stored and returned verbatim, or refused with 400`, async () => {
      for (const { route, field, build } of FIELDS) {
        const body = build(payload);
        const res = await srv.call('POST', `/api/v1${route}`, { token: w.tenant.token, body });
        expect([201, 400], `${route} ${field}: ${res.status}`).toContain(res.status);
        if (res.status !== 201) continue;
        const created = (await res.json()) as Record<string, unknown> & { id: string };
        const fetched = (await (
          await srv.call('GET', `/api/v1${route}/${created.id}`, { token: w.tenant.token })
        ).json()) as Record<string, unknown>;
        if (field === 'password') {
          await expect(login(srv, w.tenant.slug, String(body.email), String(body.password))).resolves.toBeTruthy();
        } else {
          const expected = route === '/users' && field === 'email' ? String(body[field]).toLowerCase() : body[field];
          expect({ field, created: created[field], fetched: fetched[field] }).toEqual({
            field,
            created: expected,
            fetched: expected,
          });
        }
      }
    });

    it(`when the student search q is ${what}, then 400 or only students containing it literally`, async () => {
      const res = await srv.call('GET', `/api/v1/students?q=${wtf8(payload)}&limit=100`, { token: w.tenant.token });
      expect([200, 400]).toContain(res.status);
      if (res.status !== 200) return;
      // What the server can receive: a URL carries U+FFFD where a lone surrogate was.
      const needle = payload.replace(/[\ud800-\udfff]/gu, '\ufffd').toLowerCase();
      const rows = ((await res.json()) as { data: Record<string, string | null>[] }).data;
      for (const r of rows) {
        const fields = [r.studentNo, r.firstName, r.lastName, r.email].map((f) => (f ?? '').toLowerCase());
        expect(
          fields.some((f) => f.includes(needle)),
          `${JSON.stringify(r)} does not contain ${needle}`,
        ).toBe(true);
      }
    });
  }
});

describe('bytes that are not valid JSON text', () => {
  for (const [what, bytes] of [
    ['invalid UTF-8 (0xff 0xfe)', Buffer.from([0xff, 0xfe])],
    ['an overlong UTF-8 slash (0xc0 0xaf)', Buffer.from([0xc0, 0xaf])],
    ['a truncated multi-byte sequence (0xe2 0x82)', Buffer.from([0xe2, 0x82])],
  ] as const) {
    it(`when a body holds ${what} inside a string, then 400 and no row`, async () => {
      const before = await tenantChecksum(h, w.tenant.id);
      const body = Buffer.concat([
        Buffer.from(`{"studentNo":"U-${randomBytes(4).toString('hex')}","firstName":"`),
        bytes,
        Buffer.from('","lastName":"x"}'),
      ]);
      const headers = { ...bearerOf(w.tenant.token), 'content-type': 'application/json' };
      expectRawProblem(await srv.raw('POST', '/api/v1/students', { headers, body }), 400, 'validation_failed');
      expect(await tenantChecksum(h, w.tenant.id)).toBe(before);
    });
  }
});

describe('body size and shape', () => {
  const MiB = 1024 * 1024;
  const big = () => JSON.stringify(studentInput({ firstName: 'x'.repeat(MiB + 1) }));
  const json = () => ({ ...bearerOf(w.tenant.token), 'content-type': 'application/json' });

  it('when a body over 1 MiB is sent with or without Content-Length, then 413 and no row', async () => {
    const before = await tenantChecksum(h, w.tenant.id);
    const body = big();
    const sized = { ...json(), 'content-length': String(Buffer.byteLength(body)) };
    expectRawProblem(await srv.raw('POST', '/api/v1/students', { headers: sized, body }), 413, 'payload_too_large');
    const chunked = { ...json(), 'transfer-encoding': 'chunked' };
    expectRawProblem(await srv.raw('POST', '/api/v1/students', { headers: chunked, body }), 413, 'payload_too_large');
    expect(await tenantChecksum(h, w.tenant.id)).toBe(before);
  });

  it('when a 413 was answered on a keep-alive connection, then the client’s next requests still succeed', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await srv.raw('POST', '/api/v1/students', { headers: json(), body: big(), agent });
      expect(first.status).toBe(413);
      for (let i = 0; i < 3; i++) {
        const next = await srv.raw('GET', '/api/v1/students?limit=1', { headers: bearerOf(w.tenant.token), agent });
        expect(next.status).toBe(200);
      }
    } finally {
      agent.destroy();
    }
  });

  for (const [what, body] of [
    ['arrays nested 10,000 deep', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
    ['objects nested 10,000 deep', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
    [
      'a field nested 10,000 deep',
      `{"studentNo":"N-1","firstName":${'['.repeat(10_000)}${']'.repeat(10_000)},"lastName":"x"}`,
    ],
  ]) {
    it(`when the JSON body is ${what}, then 400 and the server keeps serving`, async () => {
      await expectProblem(
        await srv.call('POST', '/api/v1/students', { token: w.tenant.token, body }),
        400,
        'validation_failed',
      );
      expect((await srv.call('GET', '/api/v1/students?limit=1', { token: w.tenant.token })).status).toBe(200);
    });
  }

  it('when a key is repeated ("firstName" twice), then the last one wins, as JSON.parse does', async () => {
    const no = `D-${randomBytes(4).toString('hex')}`;
    const body = `{"studentNo":"${no}","firstName":"first","firstName":"last","lastName":"x"}`;
    const res = await srv.call('POST', '/api/v1/students', { token: w.tenant.token, body });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ studentNo: no, firstName: 'last' });
  });
});
