import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { Student, StudentBulk, StudentCreate, StudentListQuery, StudentPatch } from './students.schemas.js';

const tags = ['Students'];

export const list = createRoute({
  method: 'get',
  path: '/students',
  tags,
  security: bearer,
  request: { query: StudentListQuery },
  responses: { 200: jsonResponse(page(Student), 'A page of students'), ...errorResponses },
});

export const create = createRoute({
  method: 'post',
  path: '/students',
  tags,
  security: bearer,
  request: { body: jsonBody(StudentCreate) },
  responses: { 201: jsonResponse(Student, 'Created'), ...errorResponses },
});

export const bulk = createRoute({
  method: 'post',
  path: '/students/bulk',
  tags,
  security: bearer,
  request: { body: jsonBody(StudentBulk) },
  responses: {
    201: jsonResponse(z.object({ created: z.number().int(), ids: z.array(z.uuid()) }), 'All created'),
    ...errorResponses,
  },
});

export const get = createRoute({
  method: 'get',
  path: '/students/{id}',
  tags,
  security: bearer,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Student, 'The student'), ...errorResponses },
});

export const patch = createRoute({
  method: 'patch',
  path: '/students/{id}',
  tags,
  security: bearer,
  request: { params: IdParam, body: jsonBody(StudentPatch) },
  responses: { 200: jsonResponse(Student, 'Updated'), ...errorResponses },
});

export const remove = createRoute({
  method: 'delete',
  path: '/students/{id}',
  tags,
  security: bearer,
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});
