import type { Enrollment, Student } from '../../generated/prisma/client.js';
import type { TenantScope } from '../context.js';
import { guard } from '../errors.js';

export type EnrollmentRow = Enrollment & { student: Student };

/** Enrollments of the scope's tenant; tenant_id is named in every query as well as enforced by RLS. */
export function enrollmentRepository({ tx, tenantId }: TenantScope) {
  return {
    list(courseId: string, query: { limit: number; after?: string }): Promise<EnrollmentRow[]> {
      return tx.enrollment.findMany({
        where: { tenantId, courseId, ...(query.after && { studentId: { gt: query.after } }) },
        include: { student: true },
        orderBy: { studentId: 'asc' },
        take: query.limit,
      });
    },

    count(courseId: string): Promise<number> {
      return tx.enrollment.count({ where: { tenantId, courseId } });
    },

    create(courseId: string, studentId: string): Promise<EnrollmentRow> {
      // The composite foreign keys refuse another tenant's student (P2003 → not_found).
      return guard(
        () => tx.enrollment.create({ data: { tenantId, courseId, studentId }, include: { student: true } }),
        { conflict: 'the student is already enrolled in this course', notFound: 'student' },
      );
    },

    async remove(courseId: string, studentId: string): Promise<void> {
      await guard(
        () => tx.enrollment.delete({ where: { tenantId_courseId_studentId: { tenantId, courseId, studentId } } }),
        { notFound: 'enrollment' },
      );
    },
  };
}
