import { expect } from 'vitest';
import { createCourse } from './course-fixtures.js';
import type { Harness, TestTenant } from './harness.js';
import { addUser, asPlatform, createStudent, eventually, studentInput } from './http-fixtures.js';

export const NDJSON = { 'content-type': 'application/x-ndjson' };

/** A tenant with a staff user, students, courses and enrollments, all made through the API. */
export async function populatedTenant(h: Harness, opts: { students?: number } = {}) {
  const tenant = await h.createTenant({ plan: 'premium' });
  const staff = await addUser(h, tenant, 'staff');
  const first = await createStudent(h, tenant.token, { email: 'ada@school.test', dateOfBirth: '2010-12-10' });
  const more = opts.students ?? 2;
  for (let i = 0; i < more; i += 1000) {
    const students = Array.from({ length: Math.min(1000, more - i) }, () => studentInput());
    const res = await h.request('POST', '/api/v1/students/bulk', { token: tenant.token, body: { students } });
    expect(res.status).toBe(201);
  }
  const course = await createCourse(h, tenant.token, { capacity: 30 });
  await createCourse(h, tenant.token, { title: 'Geometry' });
  const enrolled = await h.request('POST', `/api/v1/courses/${course.id}/enrollments`, {
    token: tenant.token,
    body: { studentId: first.id },
  });
  expect(enrolled.status).toBe(201);
  // TenantCreated → audit entry and the event marked dispatched, before anything is exported
  // (another test file's drain may hold the event for a moment: SKIP LOCKED).
  await eventually(async () => {
    await h.dispatcher.drain();
    const pending = await asPlatform(h, (tx) =>
      tx.domainEvent.count({ where: { tenantId: tenant.id, dispatchedAt: null } }),
    );
    expect(pending).toBe(0);
  });
  return { tenant, staff, student: first, course };
}

/** An export over HTTP: as the platform admin by default; `credentials` asks for password hashes. */
export async function exportText(
  h: Harness,
  tenant: Pick<TestTenant, 'id'>,
  opts: { token?: string; credentials?: boolean } = {},
) {
  const query = opts.credentials ? '?includeCredentials=true' : '';
  const res = await h.request('GET', `/api/v1/tenants/${tenant.id}/export${query}`, {
    token: opts.token ?? h.platformToken,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  return res.text();
}

export const importText = (h: Harness, body: string, token = h.platformToken, query = '') =>
  h.request('POST', `/api/v1/tenants/import${query}`, { token, body, headers: NDJSON });

/** The export's lines without its trailer, and the trailer. */
export function splitTrailer(text: string) {
  const lines = text.split('\n').filter((l) => l !== '');
  const trailer = JSON.parse(lines.pop()!) as { type: string; counts: Record<string, number>; sha256: string };
  expect(trailer.type).toBe('tenantry-export-end');
  return { lines, trailer };
}

export const linesOf = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { type?: string; table?: string; row?: Record<string, unknown> });

/**
 * An export without the audit entries that record exports, nor its trailer (which counts and
 * hashes them): every export is audited (after its snapshot), so two exports of the same live
 * tenant differ by the first one's entry.
 */
export const withoutExportAudits = (text: string) =>
  text
    .split('\n')
    .filter((l) => !(l.includes('"table":"audit_log"') && l.includes('"action":"tenant.exported"')))
    .filter((l) => !l.startsWith('{"type":"tenantry-export-end"'))
    .join('\n');
