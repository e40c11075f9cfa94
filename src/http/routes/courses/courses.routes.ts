import { createRoute } from '@hono/zod-openapi';
import { bearer, errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { Course, CourseCreate, CourseListQuery, CoursePatch } from './courses.schemas.js';

const tags = ['Courses'];

export const list = createRoute({
  method: 'get',
  path: '/courses',
  tags,
  security: bearer,
  request: { query: CourseListQuery },
  responses: { 200: jsonResponse(page(Course), 'A page of courses'), ...errorResponses },
});

export const create = createRoute({
  method: 'post',
  path: '/courses',
  tags,
  security: bearer,
  request: { body: jsonBody(CourseCreate) },
  responses: { 201: jsonResponse(Course, 'Created'), ...errorResponses },
});

export const get = createRoute({
  method: 'get',
  path: '/courses/{id}',
  tags,
  security: bearer,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Course, 'The course'), ...errorResponses },
});

export const patch = createRoute({
  method: 'patch',
  path: '/courses/{id}',
  tags,
  security: bearer,
  request: { params: IdParam, body: jsonBody(CoursePatch) },
  responses: { 200: jsonResponse(Course, 'Updated'), ...errorResponses },
});

export const remove = createRoute({
  method: 'delete',
  path: '/courses/{id}',
  tags,
  security: bearer,
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted, with its enrollments' }, ...errorResponses },
});
