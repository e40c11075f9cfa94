import { access, defineRoute, WRITERS } from '../../access.js';
import { errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { CourseListQuery, Enrollment, EnrollmentCreate, EnrollmentParams } from './courses.schemas.js';

const tags = ['Enrollments'] as const;

export const list = defineRoute(access.tenant(), {
  operationId: 'listEnrollments',
  summary: 'List a course’s enrollments',
  method: 'get',
  path: '/courses/{id}/enrollments',
  tags,
  request: { params: IdParam, query: CourseListQuery },
  responses: { 200: jsonResponse(page(Enrollment), 'A page of the course’s enrollments'), ...errorResponses },
});

export const create = defineRoute(access.tenant(WRITERS), {
  operationId: 'enrollStudent',
  summary: 'Enroll a student in a course',
  method: 'post',
  path: '/courses/{id}/enrollments',
  tags,
  audit: {
    action: 'enrollment.created',
    target: 'course',
    data: ({ body }) => ({ studentId: (body as { studentId: string }).studentId }),
  },
  request: { params: IdParam, body: jsonBody(EnrollmentCreate, { studentId: '4f6a1c2e-8d3b-4a7e-9b1f-2c5d6e7f8a90' }) },
  responses: { 201: jsonResponse(Enrollment, 'Enrolled (409 when full or already enrolled)'), ...errorResponses },
});

export const remove = defineRoute(access.tenant(WRITERS), {
  operationId: 'unenrollStudent',
  summary: 'Remove a student from a course',
  method: 'delete',
  path: '/courses/{id}/enrollments/{studentId}',
  tags,
  audit: { action: 'enrollment.deleted', target: 'course', data: ({ params }) => ({ studentId: params.studentId }) },
  request: { params: EnrollmentParams },
  responses: { 204: { description: 'Unenrolled' }, ...errorResponses },
});
