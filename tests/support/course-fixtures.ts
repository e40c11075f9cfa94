import { randomBytes } from 'node:crypto';
import type { CourseDto } from '../../src/services/courses.js';
import type { EnrollmentDto } from '../../src/services/enrollments.js';
import type { Harness } from './harness.js';
import { readJson } from './http-fixtures.js';

export type CourseBody = CourseDto;

export type EnrollmentBody = EnrollmentDto;

export const uniqueCode = (prefix = 'C') => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function createCourse(h: Harness, token: string, over: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/api/v1/courses', {
    token,
    body: { code: uniqueCode(), title: 'Algebra', ...over },
  });
  if (res.status !== 201) throw new Error(`createCourse: ${res.status} ${await res.text()}`);
  return readJson<CourseBody>(res);
}
