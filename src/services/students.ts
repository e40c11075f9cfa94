import type { TenantScope } from '../db/context.js';
import { quotaRepository } from '../db/repositories/quotas.js';
import { type StudentRow, type StudentWrite, studentRepository } from '../db/repositories/students.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { assertQuota } from '../domain/tenant/quotas.js';
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

/** Student use cases. Every method runs on the caller's tenant transaction (its scope). */
export function createStudentService() {
  return {
    async list(scope: TenantScope, query: PageQuery & { q?: string; active?: boolean }): Promise<Page<StudentDto>> {
      const rows = await studentRepository(scope).list({
        limit: query.limit + 1,
        after: decodeCursor(query.cursor),
        q: query.q,
        active: query.active,
      });
      return toPage(rows, query.limit, toStudentDto);
    },

    async get(scope: TenantScope, id: string): Promise<StudentDto> {
      const row = await studentRepository(scope).get(id);
      if (!row) throw Errors.notFound('student');
      return toStudentDto(row);
    },

    /** Checked and consumed under the tenant's quota lock, so concurrent creates cannot overshoot. */
    async create(scope: TenantScope, input: StudentInput): Promise<StudentDto> {
      assertQuota('students', await quotaRepository(scope).lock('students'), 1);
      return toStudentDto(await studentRepository(scope).create(newId(), toWrite(input) as StudentWrite));
    },

    /** All or nothing, and the whole batch counts against the quota under the same lock. */
    async createMany(scope: TenantScope, inputs: StudentInput[]): Promise<{ created: number; ids: string[] }> {
      assertQuota('students', await quotaRepository(scope).lock('students'), inputs.length);
      const rows = inputs.map((input) => ({ ...(toWrite(input) as StudentWrite), id: newId() }));
      const created = await studentRepository(scope).createMany(rows);
      return { created, ids: rows.map((r) => r.id) };
    },

    async update(scope: TenantScope, id: string, patch: Partial<StudentInput>): Promise<StudentDto> {
      if (Object.keys(patch).length === 0) return this.get(scope, id);
      return toStudentDto(await studentRepository(scope).update(id, toWrite(patch)));
    },

    remove(scope: TenantScope, id: string): Promise<void> {
      return studentRepository(scope).remove(id);
    },
  };
}

export type StudentService = ReturnType<typeof createStudentService>;
