import type { TenantScope } from '../db/context.js';
import { courseRepository } from '../db/repositories/courses.js';
import { type EnrollmentRow, enrollmentRepository } from '../db/repositories/enrollments.js';
import { studentRepository } from '../db/repositories/students.js';
import { assertSeatFree } from '../domain/courses.js';
import { Errors } from '../domain/errors.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';

export interface EnrollmentDto {
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

export const toEnrollmentDto = (e: EnrollmentRow): EnrollmentDto => ({
  courseId: e.courseId,
  studentId: e.studentId,
  enrolledAt: e.createdAt.toISOString(),
  student: {
    id: e.student.id,
    studentNo: e.student.studentNo,
    firstName: e.student.firstName,
    lastName: e.student.lastName,
    email: e.student.email,
    active: e.student.active,
  },
});

async function assertCourse(scope: TenantScope, courseId: string): Promise<void> {
  if (!(await courseRepository(scope).get(courseId))) throw Errors.notFound('course');
}

/** Enrollment use cases. Another tenant's course or student is "not found", never "forbidden". */
export function createEnrollmentService() {
  return {
    async list(scope: TenantScope, courseId: string, query: PageQuery): Promise<Page<EnrollmentDto>> {
      await assertCourse(scope, courseId);
      const rows = await enrollmentRepository(scope).list(courseId, {
        limit: query.limit + 1,
        after: decodeCursor(query.cursor),
      });
      // Pages are keyed by student id (UUIDv7) within the course.
      return toPage(
        rows.map((r) => ({ ...r, id: r.studentId })),
        query.limit,
        toEnrollmentDto,
      );
    },

    /**
     * Locks the course row first: concurrent enrollments into one course queue behind it,
     * so each sees the count the previous one committed and capacity is never exceeded.
     */
    async enroll(scope: TenantScope, courseId: string, studentId: string): Promise<EnrollmentDto> {
      const course = await courseRepository(scope).lock(courseId);
      if (!course) throw Errors.notFound('course');
      if (!(await studentRepository(scope).get(studentId))) throw Errors.notFound('student');
      const enrollments = enrollmentRepository(scope);
      if (course.capacity !== null) assertSeatFree(course.capacity, await enrollments.count(courseId));
      return toEnrollmentDto(await enrollments.create(courseId, studentId));
    },

    async unenroll(scope: TenantScope, courseId: string, studentId: string): Promise<void> {
      await assertCourse(scope, courseId);
      await enrollmentRepository(scope).remove(courseId, studentId);
    },
  };
}

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;
