import { z } from '@hono/zod-openapi';
import { dateTime, nonEmpty, PageQuery, text, uuid } from '../../openapi.js';

const isoDate = z.iso
  .date()
  .refine((d) => {
    const year = Number(d.slice(0, 4));
    return year >= 1900 && year <= 2100;
  }, 'must be a date between 1900 and 2100')
  .openapi({ maxLength: 10 });

const fields = {
  studentNo: nonEmpty(64),
  firstName: nonEmpty(100),
  lastName: nonEmpty(100),
  email: z.email().max(254).nullable().optional(),
  dateOfBirth: isoDate.nullable().optional(),
  active: z.boolean().optional(),
};

export const StudentCreate = z.strictObject(fields).openapi('StudentCreate');
export const StudentPatch = z
  .strictObject({
    studentNo: fields.studentNo.optional(),
    firstName: fields.firstName.optional(),
    lastName: fields.lastName.optional(),
    email: fields.email,
    dateOfBirth: fields.dateOfBirth,
    active: fields.active,
  })
  .openapi('StudentPatch');

export const StudentBulk = z.strictObject({ students: z.array(StudentCreate).min(1).max(1000) }).openapi('StudentBulk');

export const Student = z
  .object({
    id: uuid(),
    studentNo: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    dateOfBirth: z.iso.date().nullable(),
    active: z.boolean(),
    createdAt: dateTime(),
    updatedAt: dateTime(),
  })
  .openapi('Student');

export const StudentListQuery = z.strictObject({
  ...PageQuery,
  q: text(100).optional(),
  active: z.enum(['true', 'false']).optional(),
});
