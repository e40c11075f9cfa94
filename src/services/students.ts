import type { Tx } from '../db/context.js';
import { type StudentRow, type StudentWrite, studentRepository } from '../db/repositories/students.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { effectiveLimits } from '../domain/tenant/tenant.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';

export interface StudentDto {
  id: string;
  studentNo: string;
  firstName: string;
  lastName: string;
  email: string | null;
  dateOfBirth: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface StudentInput {
  studentNo: string;
  firstName: string;
  lastName: string;
  email?: string | null;
  dateOfBirth?: string | null;
  active?: boolean;
}

export const toStudentDto = (s: StudentRow): StudentDto => ({
  id: s.id,
  studentNo: s.studentNo,
  firstName: s.firstName,
  lastName: s.lastName,
  email: s.email,
  dateOfBirth: s.dateOfBirth ? s.dateOfBirth.toISOString().slice(0, 10) : null,
  active: s.active,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

function toWrite<T extends Partial<StudentInput>>(input: T) {
  const { dateOfBirth, ...rest } = input;
  return {
    ...rest,
    ...(dateOfBirth !== undefined && {
      dateOfBirth: dateOfBirth === null ? null : new Date(`${dateOfBirth}T00:00:00Z`),
    }),
  };
}

async function assertStudentQuota(tx: Tx, tenantId: string, adding: number): Promise<void> {
  const usage = await studentRepository(tx, tenantId).usage();
  const { maxStudents } = effectiveLimits(usage.plan, usage.limits);
  if (usage.students + adding > maxStudents) throw Errors.quotaExceeded('students', maxStudents);
}

/** Student use cases. Every method runs on the caller's tenant transaction. */
export function createStudentService() {
  return {
    async list(
      tx: Tx,
      tenantId: string,
      query: PageQuery & { q?: string; active?: boolean },
    ): Promise<Page<StudentDto>> {
      const rows = await studentRepository(tx, tenantId).list({
        limit: query.limit + 1,
        after: decodeCursor(query.cursor),
        q: query.q,
        active: query.active,
      });
      return toPage(rows, query.limit, toStudentDto);
    },

    async get(tx: Tx, tenantId: string, id: string): Promise<StudentDto> {
      const row = await studentRepository(tx, tenantId).get(id);
      if (!row) throw Errors.notFound('student');
      return toStudentDto(row);
    },

    async create(tx: Tx, tenantId: string, input: StudentInput): Promise<StudentDto> {
      await assertStudentQuota(tx, tenantId, 1);
      return toStudentDto(await studentRepository(tx, tenantId).create(newId(), toWrite(input) as StudentWrite));
    },

    async createMany(tx: Tx, tenantId: string, inputs: StudentInput[]): Promise<{ created: number; ids: string[] }> {
      await assertStudentQuota(tx, tenantId, inputs.length);
      const rows = inputs.map((input) => ({ ...(toWrite(input) as StudentWrite), id: newId() }));
      const created = await studentRepository(tx, tenantId).createMany(rows);
      return { created, ids: rows.map((r) => r.id) };
    },

    async update(tx: Tx, tenantId: string, id: string, patch: Partial<StudentInput>): Promise<StudentDto> {
      const repo = studentRepository(tx, tenantId);
      if (Object.keys(patch).length === 0) return this.get(tx, tenantId, id);
      return toStudentDto(await repo.update(id, toWrite(patch)));
    },

    remove(tx: Tx, tenantId: string, id: string): Promise<void> {
      return studentRepository(tx, tenantId).remove(id);
    },
  };
}

export type StudentService = ReturnType<typeof createStudentService>;
