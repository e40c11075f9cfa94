import type { Prisma, Student } from '../../generated/prisma/client.js';
import type { TenantScope } from '../context.js';
import { guard } from '../errors.js';

export type StudentRow = Student;

export interface StudentListQuery {
  limit: number;
  after?: string;
  q?: string;
  active?: boolean;
}

export type StudentWrite = Omit<Prisma.StudentUncheckedCreateInput, 'tenantId' | 'id' | 'createdAt' | 'updatedAt'>;

const CONFLICT = 'a student with this studentNo or email already exists';

/**
 * Students of the scope's tenant. Every query names tenant_id explicitly as well as relying on
 * RLS: defence in depth on one node, and single-shard routing on Citus.
 */
export function studentRepository({ tx, tenantId }: TenantScope) {
  return {
    list(query: StudentListQuery): Promise<StudentRow[]> {
      const where: Prisma.StudentWhereInput = { tenantId };
      if (query.after) where.id = { gt: query.after };
      if (query.active !== undefined) where.active = query.active;
      if (query.q) {
        // Prisma passes `contains` to ILIKE unescaped: make % and _ match literally.
        const contains = { contains: query.q.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const };
        where.OR = [{ firstName: contains }, { lastName: contains }, { studentNo: contains }, { email: contains }];
      }
      return tx.student.findMany({ where, orderBy: { id: 'asc' }, take: query.limit });
    },

    /**
     * By id through $queryRaw: the hottest read, and the one where Prisma's query building
     * costs most relative to the query (measured in the same tenant transaction: ~240 → ~130
     * µs of Node CPU per lookup). Same columns and types as the model.
     */
    async get(id: string): Promise<StudentRow | null> {
      const rows = await tx.$queryRaw<StudentRow[]>`
        SELECT tenant_id AS "tenantId", id, student_no AS "studentNo", first_name AS "firstName",
               last_name AS "lastName", email, date_of_birth AS "dateOfBirth", active,
               created_at AS "createdAt", updated_at AS "updatedAt"
          FROM students WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid`;
      return rows[0] ?? null;
    },

    create(id: string, data: StudentWrite): Promise<StudentRow> {
      return guard(() => tx.student.create({ data: { ...data, tenantId, id } }), { conflict: CONFLICT });
    },

    createMany(rows: (StudentWrite & { id: string })[]): Promise<number> {
      return guard(async () => (await tx.student.createMany({ data: rows.map((r) => ({ ...r, tenantId })) })).count, {
        conflict: CONFLICT,
      });
    },

    update(id: string, data: Partial<StudentWrite>): Promise<StudentRow> {
      return guard(() => tx.student.update({ where: { tenantId_id: { tenantId, id } }, data }), {
        conflict: CONFLICT,
        notFound: 'student',
      });
    },

    async remove(id: string): Promise<void> {
      await guard(() => tx.student.delete({ where: { tenantId_id: { tenantId, id } } }), { notFound: 'student' });
    },
  };
}
