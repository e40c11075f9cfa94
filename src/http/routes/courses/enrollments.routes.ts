import { access, defineRoute, WRITERS } from '../../access.js';
import { errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { CourseListQuery, Enrollment, EnrollmentCreate, EnrollmentParams } from './courses.schemas.js';

const tags = ['Enrollments'];

export const list = defineRoute(access.tenant(), {
  method: 'get',
  path: '/courses/{id}/enrollments',
  tags,
  request: { params: IdParam, query: CourseListQuery },
  responses: { 200: jsonResponse(page(Enrollment), 'A page of the course’s enrollments'), ...errorResponses },
});

export const create = defineRoute(access.tenant(WRITERS), {
  method: 'post',
  path: '/courses/{id}/enrollments',
  tags,
  request: { params: IdParam, body: jsonBody(EnrollmentCreate) },
  responses: { 201: jsonResponse(Enrollment, 'Enrolled (409 when full or already enrolled)'), ...errorResponses },
});

export const remove = defineRoute(access.tenant(WRITERS), {
  method: 'delete',
  path: '/courses/{id}/enrollments/{studentId}',
  tags,
  request: { params: EnrollmentParams },
  responses: { 204: { description: 'Unenrolled' }, ...errorResponses },
});
