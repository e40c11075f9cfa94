import type { Tx } from '../db/context.js';
import { type CourseRow, courseRepository } from '../db/repositories/courses.js';
import { enrollmentRepository } from '../db/repositories/enrollments.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
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

/** Course use cases. Every method runs on the caller's tenant transaction. */
export function createCourseService() {
  return {
    async list(tx: Tx, tenantId: string, query: PageQuery): Promise<Page<CourseDto>> {
      const rows = await courseRepository(tx, tenantId).list({
        limit: query.limit + 1,
        after: decodeCursor(query.cursor),
      });
      return toPage(rows, query.limit, toCourseDto);
    },

    async get(tx: Tx, tenantId: string, id: string): Promise<CourseDto> {
      const row = await courseRepository(tx, tenantId).get(id);
      if (!row) throw Errors.notFound('course');
      return toCourseDto(row);
    },

    async create(tx: Tx, tenantId: string, input: CourseInput): Promise<CourseDto> {
      const { code, title, capacity = null } = input;
      return toCourseDto(await courseRepository(tx, tenantId).create(newId(), { code, title, capacity }));
    },

    async update(tx: Tx, tenantId: string, id: string, patch: Partial<CourseInput>): Promise<CourseDto> {
      if (Object.keys(patch).length === 0) return this.get(tx, tenantId, id);
      const repo = courseRepository(tx, tenantId);
      if (patch.capacity !== undefined && patch.capacity !== null) {
        // Same lock as enrolling, so a capacity cut and a concurrent enrollment cannot both win.
        if (!(await repo.lock(id))) throw Errors.notFound('course');
        const enrolled = await enrollmentRepository(tx, tenantId).count(id);
        if (enrolled > patch.capacity) {
          throw Errors.conflict(`capacity ${patch.capacity} is below the ${enrolled} students already enrolled`);
        }
      }
      return toCourseDto(await repo.update(id, patch));
    },

    remove(tx: Tx, tenantId: string, id: string): Promise<void> {
      return courseRepository(tx, tenantId).remove(id);
    },
  };
}

export type CourseService = ReturnType<typeof createCourseService>;
