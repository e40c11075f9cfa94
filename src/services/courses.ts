import type { TenantScope } from '../db/context.js';
import { type CourseRow, courseRepository } from '../db/repositories/courses.js';
import { enrollmentRepository } from '../db/repositories/enrollments.js';
import { quotaRepository } from '../db/repositories/quotas.js';
import { assertCapacityFits } from '../domain/courses.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { assertQuota } from '../domain/tenant/quotas.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';

export interface CourseDto {
  id: string;
  code: string;
  title: string;
  capacity: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface CourseInput {
  code: string;
  title: string;
  capacity?: number | null;
}

export const toCourseDto = (c: CourseRow): CourseDto => ({
  id: c.id,
  code: c.code,
  title: c.title,
  capacity: c.capacity,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

/** Course use cases. Every method runs on the caller's tenant transaction (its scope). */
export function createCourseService() {
  return {
    async list(scope: TenantScope, query: PageQuery): Promise<Page<CourseDto>> {
      const rows = await courseRepository(scope).list({ limit: query.limit + 1, after: decodeCursor(query.cursor) });
      return toPage(rows, query.limit, toCourseDto);
    },

    async get(scope: TenantScope, id: string): Promise<CourseDto> {
      const row = await courseRepository(scope).get(id);
      if (!row) throw Errors.notFound('course');
      return toCourseDto(row);
    },

    /** Checks and consumes the plan's maxCourses under the tenant's quota lock, then inserts. */
    async create(scope: TenantScope, input: CourseInput): Promise<CourseDto> {
      const { code, title, capacity = null } = input;
      assertQuota('courses', await quotaRepository(scope).lock('courses'), 1);
      return toCourseDto(await courseRepository(scope).create(newId(), { code, title, capacity }));
    },

    async update(scope: TenantScope, id: string, patch: Partial<CourseInput>): Promise<CourseDto> {
      if (Object.keys(patch).length === 0) return this.get(scope, id);
      const courses = courseRepository(scope);
      if (patch.capacity !== undefined && patch.capacity !== null) {
        // Same lock as enrolling, so a capacity cut and a concurrent enrollment cannot both win.
        if (!(await courses.lock(id))) throw Errors.notFound('course');
        assertCapacityFits(patch.capacity, await enrollmentRepository(scope).count(id));
      }
      return toCourseDto(await courses.update(id, patch));
    },

    remove(scope: TenantScope, id: string): Promise<void> {
      return courseRepository(scope).remove(id);
    },
  };
}

export type CourseService = ReturnType<typeof createCourseService>;
