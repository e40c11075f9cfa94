import type { Tx } from '../db/context.js';
import { courseRepository } from '../db/repositories/courses.js';
import { type EnrollmentRow, enrollmentRepository } from '../db/repositories/enrollments.js';
import { studentRepository } from '../db/repositories/students.js';
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

async function assertCourse(tx: Tx, tenantId: string, courseId: string): Promise<void> {
  if (!(await courseRepository(tx, tenantId).get(courseId))) throw Errors.notFound('course');
}

/** Enrollment use cases. Another tenant's course or student is "not found", never "forbidden". */
export function createEnrollmentService() {
  return {
    async list(tx: Tx, tenantId: string, courseId: string, query: PageQuery): Promise<Page<EnrollmentDto>> {
      await assertCourse(tx, tenantId, courseId);
      const rows = await enrollmentRepository(tx, tenantId).list(courseId, {
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
    async enroll(tx: Tx, tenantId: string, courseId: string, studentId: string): Promise<EnrollmentDto> {
      const course = await courseRepository(tx, tenantId).lock(courseId);
      if (!course) throw Errors.notFound('course');
      if (!(await studentRepository(tx, tenantId).get(studentId))) throw Errors.notFound('student');
      const enrollments = enrollmentRepository(tx, tenantId);
      if (course.capacity !== null && (await enrollments.count(courseId)) >= course.capacity) {
        throw Errors.conflict(`the course is full (capacity ${course.capacity})`);
      }
      return toEnrollmentDto(await enrollments.create(courseId, studentId));
    },

    async unenroll(tx: Tx, tenantId: string, courseId: string, studentId: string): Promise<void> {
      await assertCourse(tx, tenantId, courseId);
      await enrollmentRepository(tx, tenantId).remove(courseId, studentId);
    },
  };
}

export type EnrollmentService = ReturnType<typeof createEnrollmentService>;
