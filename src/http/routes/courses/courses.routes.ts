import { access, defineRoute, WRITERS } from '../../access.js';
import { errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { Course, CourseCreate, CourseListQuery, CoursePatch } from './courses.schemas.js';

const tags = ['Courses'];

export const list = defineRoute(access.tenant(), {
  method: 'get',
  path: '/courses',
  tags,
  request: { query: CourseListQuery },
  responses: { 200: jsonResponse(page(Course), 'A page of courses'), ...errorResponses },
});

export const create = defineRoute(access.tenant(WRITERS), {
  method: 'post',
  path: '/courses',
  tags,
  request: { body: jsonBody(CourseCreate) },
  responses: { 201: jsonResponse(Course, 'Created'), ...errorResponses },
});

export const get = defineRoute(access.tenant(), {
  method: 'get',
  path: '/courses/{id}',
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Course, 'The course'), ...errorResponses },
});

export const patch = defineRoute(access.tenant(WRITERS), {
  method: 'patch',
  path: '/courses/{id}',
  tags,
  request: { params: IdParam, body: jsonBody(CoursePatch) },
  responses: { 200: jsonResponse(Course, 'Updated'), ...errorResponses },
});

export const remove = defineRoute(access.tenant(WRITERS), {
  method: 'delete',
  path: '/courses/{id}',
  tags,
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted, with its enrollments' }, ...errorResponses },
});
