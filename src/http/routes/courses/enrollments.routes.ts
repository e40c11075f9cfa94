import { createRoute } from '@hono/zod-openapi';
import { bearer, errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { CourseListQuery, Enrollment, EnrollmentCreate, EnrollmentParams } from './courses.schemas.js';

const tags = ['Enrollments'];

export const list = createRoute({
  method: 'get',
  path: '/courses/{id}/enrollments',
  tags,
  security: bearer,
  request: { params: IdParam, query: CourseListQuery },
  responses: { 200: jsonResponse(page(Enrollment), 'A page of the course’s enrollments'), ...errorResponses },
});

export const create = createRoute({
  method: 'post',
  path: '/courses/{id}/enrollments',
  tags,
  security: bearer,
  request: { params: IdParam, body: jsonBody(EnrollmentCreate) },
  responses: { 201: jsonResponse(Enrollment, 'Enrolled (409 when full or already enrolled)'), ...errorResponses },
});

export const remove = createRoute({
  method: 'delete',
  path: '/courses/{id}/enrollments/{studentId}',
  tags,
  security: bearer,
  request: { params: EnrollmentParams },
  responses: { 204: { description: 'Unenrolled' }, ...errorResponses },
});
