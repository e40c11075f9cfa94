import { z } from '@hono/zod-openapi';
import { access, defineRoute, WRITERS } from '../../access.js';
import { errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { Student, StudentBulk, StudentCreate, StudentListQuery, StudentPatch } from './students.schemas.js';

const tags = ['Students'];

export const list = defineRoute(access.tenant(), {
  method: 'get',
  path: '/students',
  tags,
  request: { query: StudentListQuery },
  responses: { 200: jsonResponse(page(Student), 'A page of students'), ...errorResponses },
});

export const create = defineRoute(access.tenant(WRITERS), {
  method: 'post',
  path: '/students',
  tags,
  request: { body: jsonBody(StudentCreate) },
  responses: { 201: jsonResponse(Student, 'Created'), ...errorResponses },
});

export const bulk = defineRoute(access.tenant(WRITERS), {
  method: 'post',
  path: '/students/bulk',
  tags,
  request: { body: jsonBody(StudentBulk) },
  responses: {
    201: jsonResponse(z.object({ created: z.number().int(), ids: z.array(z.uuid()) }), 'All created'),
    ...errorResponses,
  },
});

export const get = defineRoute(access.tenant(), {
  method: 'get',
  path: '/students/{id}',
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Student, 'The student'), ...errorResponses },
});

export const patch = defineRoute(access.tenant(WRITERS), {
  method: 'patch',
  path: '/students/{id}',
  tags,
  request: { params: IdParam, body: jsonBody(StudentPatch) },
  responses: { 200: jsonResponse(Student, 'Updated'), ...errorResponses },
});

export const remove = defineRoute(access.tenant(WRITERS), {
  method: 'delete',
  path: '/students/{id}',
  tags,
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});
