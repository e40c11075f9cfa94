import type { Course, Prisma } from '../../generated/prisma/client.js';
import type { TenantScope } from '../context.js';
import { guard } from '../errors.js';

export type CourseRow = Course;

export type CourseWrite = Pick<Prisma.CourseUncheckedCreateInput, 'code' | 'title' | 'capacity'>;

const CONFLICT = 'a course with this code already exists';

/**
 * Courses of the scope's tenant. Every query names tenant_id explicitly as well as relying on
 * RLS: defence in depth on one node, and single-shard routing on Citus.
 */
export function courseRepository({ tx, tenantId }: TenantScope) {
  return {
    list(query: { limit: number; after?: string }): Promise<CourseRow[]> {
      const where: Prisma.CourseWhereInput = { tenantId };
      if (query.after) where.id = { gt: query.after };
      return tx.course.findMany({ where, orderBy: { id: 'asc' }, take: query.limit });
    },

    get(id: string): Promise<CourseRow | null> {
      return tx.course.findUnique({ where: { tenantId_id: { tenantId, id } } });
    },

    /**
     * Locks the course row until the transaction ends, so enrollment counts checked against
     * its capacity cannot race. Returns null when the tenant has no such course.
     */
    async lock(id: string): Promise<{ capacity: number | null } | null> {
      const rows = await tx.$queryRaw<{ capacity: number | null }[]>`
        SELECT capacity FROM courses WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid FOR UPDATE`;
      return rows[0] ?? null;
    },

    create(id: string, data: CourseWrite): Promise<CourseRow> {
      return guard(() => tx.course.create({ data: { ...data, tenantId, id } }), { conflict: CONFLICT });
    },

    update(id: string, data: Partial<CourseWrite>): Promise<CourseRow> {
      return guard(() => tx.course.update({ where: { tenantId_id: { tenantId, id } }, data }), {
        conflict: CONFLICT,
        notFound: 'course',
      });
    },

    async remove(id: string): Promise<void> {
      await guard(() => tx.course.delete({ where: { tenantId_id: { tenantId, id } } }), { notFound: 'course' });
    },
  };
}
