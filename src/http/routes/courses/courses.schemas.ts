import { z } from '@hono/zod-openapi';
import { dateTime, nonEmpty, PageQuery, uuid } from '../../openapi.js';

const capacity = z.number().int().min(0).max(100_000).openapi({ format: 'int32' }).nullable();

export const CourseCreate = z
  .strictObject({ code: nonEmpty(64), title: nonEmpty(200), capacity: capacity.optional() })
  .openapi('CourseCreate');

export const CoursePatch = z
  .strictObject({ code: nonEmpty(64).optional(), title: nonEmpty(200).optional(), capacity: capacity.optional() })
  .openapi('CoursePatch');

export const Course = z
  .object({
    id: uuid(),
    code: z.string(),
    title: z.string(),
    capacity: z.number().int().nullable(),
    createdAt: dateTime(),
    updatedAt: dateTime(),
  })
  .openapi('Course');

export const CourseListQuery = z.strictObject(PageQuery);

export const EnrollmentCreate = z.strictObject({ studentId: uuid() }).openapi('EnrollmentCreate');

export const EnrollmentParams = z.strictObject({
  id: uuid().openapi({ param: { name: 'id', in: 'path' } }),
  studentId: uuid().openapi({ param: { name: 'studentId', in: 'path' } }),
});

export const Enrollment = z
  .object({
    courseId: uuid(),
    studentId: uuid(),
    enrolledAt: dateTime(),
    student: z.object({
      id: uuid(),
      studentNo: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      email: z.string().nullable(),
      active: z.boolean(),
    }),
  })
  .openapi('Enrollment');
