import { randomBytes } from 'node:crypto';
import type { Harness } from './harness.js';
import { readJson } from './http-fixtures.js';

export interface CourseBody {
  id: string;
  code: string;
  title: string;
  capacity: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface EnrollmentBody {
  courseId: string;
  studentId: string;
  enrolledAt: string;
  student: {
    id: string;
    studentNo: string;
    firstName: string;
    lastName: string;
    email: string | null;
    active: boolean;
  };
}

export const uniqueCode = (prefix = 'C') => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function createCourse(h: Harness, token: string, over: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/api/v1/courses', {
    token,
    body: { code: uniqueCode(), title: 'Algebra', ...over },
  });
  if (res.status !== 201) throw new Error(`createCourse: ${res.status} ${await res.text()}`);
  return readJson<CourseBody>(res);
}
