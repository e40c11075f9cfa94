import { z } from '@hono/zod-openapi';
import { access, defineRoute, WRITERS } from '../../access.js';
import { errorResponses, IdParam, jsonBody, jsonResponse, page, uuid } from '../../openapi.js';
import { Student, StudentBulk, StudentCreate, StudentListQuery, StudentPatch } from './students.schemas.js';

const STUDENT_EXAMPLE = {
  studentNo: 'S-1001',
  firstName: 'Bart',
  lastName: 'Simpson',
  email: 'bart@springfield.example',
  dateOfBirth: '2010-04-01',
  active: true,
};
const tags = ['Students'] as const;

export const list = defineRoute(access.tenant(), {
  operationId: 'listStudents',
  summary: 'List or search students',
  method: 'get',
  path: '/students',
  tags,
  request: { query: StudentListQuery },
  responses: { 200: jsonResponse(page(Student), 'A page of students'), ...errorResponses },
});

export const create = defineRoute(access.tenant(WRITERS), {
  operationId: 'createStudent',
  summary: 'Create a student',
  method: 'post',
  path: '/students',
  tags,
  audit: { action: 'student.created', target: 'student' },
  request: { body: jsonBody(StudentCreate, STUDENT_EXAMPLE) },
  responses: { 201: jsonResponse(Student, 'Created'), ...errorResponses },
});

export const bulk = defineRoute(access.tenant(WRITERS), {
  operationId: 'createStudentsBulk',
  summary: 'Create up to 1000 students at once',
  feature: 'bulkCreate',
  method: 'post',
  path: '/students/bulk',
  tags,
  audit: {
    action: 'student.bulk_created',
    target: 'student',
    id: 'none',
    data: ({ result }) => {
      const { created, ids } = result as { created: number; ids: string[] };
      return { count: created, ids };
    },
  },
  request: {
    body: jsonBody(StudentBulk, {
      students: [STUDENT_EXAMPLE, { studentNo: 'S-1002', firstName: 'Lisa', lastName: 'Simpson' }],
    }),
  },
  responses: {
    201: jsonResponse(z.object({ created: z.number().int(), ids: z.array(uuid()) }), 'All created'),
    ...errorResponses,
  },
});

export const get = defineRoute(access.tenant(), {
  operationId: 'getStudent',
  summary: 'Get a student',
  method: 'get',
  path: '/students/{id}',
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Student, 'The student'), ...errorResponses },
});

export const patch = defineRoute(access.tenant(WRITERS), {
  operationId: 'updateStudent',
  summary: 'Update a student',
  method: 'patch',
  path: '/students/{id}',
  tags,
  audit: { action: 'student.updated', target: 'student' },
  request: { params: IdParam, body: jsonBody(StudentPatch, { email: null, active: false }) },
  responses: { 200: jsonResponse(Student, 'Updated'), ...errorResponses },
});

export const remove = defineRoute(access.tenant(WRITERS), {
  operationId: 'deleteStudent',
  summary: 'Delete a student',
  method: 'delete',
  path: '/students/{id}',
  tags,
  audit: { action: 'student.deleted', target: 'student' },
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});
