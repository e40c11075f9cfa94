import { access, defineRoute, WRITERS } from '../../access.js';
import { errorResponses, IdParam, jsonBody, jsonResponse, page } from '../../openapi.js';
import { Course, CourseCreate, CourseListQuery, CoursePatch } from './courses.schemas.js';

const tags = ['Courses'] as const;

export const list = defineRoute(access.tenant(), {
  operationId: 'listCourses',
  summary: 'List courses',
  method: 'get',
  path: '/courses',
  tags,
  request: { query: CourseListQuery },
  responses: { 200: jsonResponse(page(Course), 'A page of courses'), ...errorResponses },
});

export const create = defineRoute(access.tenant(WRITERS), {
  operationId: 'createCourse',
  summary: 'Create a course',
  method: 'post',
  path: '/courses',
  tags,
  audit: { action: 'course.created', target: 'course' },
  request: { body: jsonBody(CourseCreate, { code: 'MATH-101', title: 'Algebra I', capacity: 30 }) },
  responses: { 201: jsonResponse(Course, 'Created'), ...errorResponses },
});

export const get = defineRoute(access.tenant(), {
  operationId: 'getCourse',
  summary: 'Get a course',
  method: 'get',
  path: '/courses/{id}',
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(Course, 'The course'), ...errorResponses },
});

export const patch = defineRoute(access.tenant(WRITERS), {
  operationId: 'updateCourse',
  summary: 'Update a course',
  method: 'patch',
  path: '/courses/{id}',
  tags,
  audit: { action: 'course.updated', target: 'course' },
  request: { params: IdParam, body: jsonBody(CoursePatch, { title: 'Algebra I (honours)', capacity: null }) },
  responses: { 200: jsonResponse(Course, 'Updated'), ...errorResponses },
});

export const remove = defineRoute(access.tenant(WRITERS), {
  operationId: 'deleteCourse',
  summary: 'Delete a course and its enrollments',
  method: 'delete',
  path: '/courses/{id}',
  tags,
  audit: { action: 'course.deleted', target: 'course' },
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted, with its enrollments' }, ...errorResponses },
});
