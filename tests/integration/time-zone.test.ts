import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHarnessOn, type Harness } from '../support/harness.js';
import { readJson, type StudentBody, studentInput } from '../support/http-fixtures.js';

/**
 * A PostgreSQL whose sessions default to a time zone far from UTC (a server's `TimeZone`, a
 * role's or database's setting, or here the connection's own). Prisma's pg adapter reads a
 * timestamptz as if its offset were +00:00, so every request transaction sets TimeZone to UTC
 * locally; the statements sent without Prisma parse the offset themselves. Either way a
 * timestamp must be the instant it was written.
 */
const FAR = 'Pacific/Kiritimati'; // UTC+14
const inZone = (url: string) => {
  const u = new URL(url);
  u.searchParams.set('options', `-c TimeZone=${FAR}`);
  return u.toString();
};

let h: Harness;
beforeAll(async () => {
  const db = inject('db');
  h = await createHarnessOn({ ...db, runtimeUrl: inZone(db.runtimeUrl), platformUrl: inZone(db.platformUrl) });
});
afterAll(() => h.close());

describe('sessions in a time zone other than UTC', () => {
  it('when a student is created, read, listed and patched, then every answer names the instant it was written', async () => {
    const t = await h.createTenant();
    const before = Date.now();
    const res = await h.request('POST', '/api/v1/students', { token: t.token, body: studentInput() });
    expect(res.status).toBe(201);
    const created = await readJson<StudentBody>(res);
    const written = Date.parse(created.createdAt);
    expect(Math.abs(written - before)).toBeLessThan(60_000);

    const got = await readJson<StudentBody>(
      await h.request('GET', `/api/v1/students/${created.id}`, { token: t.token }),
    );
    expect(got.createdAt).toBe(created.createdAt);
    const listed = await readJson<{ data: StudentBody[] }>(
      await h.request('GET', '/api/v1/students', { token: t.token }),
    );
    expect(listed.data.map((s) => s.createdAt)).toEqual([created.createdAt]);
    // PATCH answers through Prisma's model update.
    const patched = await h.request('PATCH', `/api/v1/students/${created.id}`, {
      token: t.token,
      body: { lastName: 'Renamed' },
    });
    expect(patched.status).toBe(200);
    const after = await readJson<StudentBody>(patched);
    expect(after.createdAt).toBe(created.createdAt);
    expect(Math.abs(Date.parse(after.updatedAt) - Date.now())).toBeLessThan(60_000);
  });
});
