import { z } from '@hono/zod-openapi';
import { TENANT_ROLES } from '../../../domain/roles.js';
import { access, defineRoute } from '../../access.js';
import {
  dateTime,
  errorResponses,
  IdParam,
  jsonBody,
  jsonResponse,
  nonEmpty,
  PageQuery,
  page,
  text,
  uuid,
} from '../../openapi.js';

const tags = ['Users'] as const;

const fields = {
  email: z.email().max(254),
  name: nonEmpty(200),
  password: text(200).min(12, 'must be at least 12 characters'),
  role: z.enum(TENANT_ROLES),
};

export const User = z
  .object({
    id: uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(TENANT_ROLES),
    active: z.boolean(),
    createdAt: dateTime(),
    updatedAt: dateTime(),
  })
  .openapi('User');

export const list = defineRoute(access.tenant(), {
  operationId: 'listUsers',
  summary: 'List users',
  method: 'get',
  path: '/users',
  tags,
  request: { query: z.strictObject(PageQuery) },
  responses: { 200: jsonResponse(page(User), 'A page of users'), ...errorResponses },
});

export const create = defineRoute(access.tenant(['tenant_admin']), {
  operationId: 'createUser',
  summary: 'Create a user',
  method: 'post',
  path: '/users',
  tags,
  audit: { action: 'user.created', target: 'user' },
  request: {
    body: jsonBody(z.strictObject(fields).openapi('UserCreate'), {
      email: 'edna@springfield.example',
      name: 'Edna Krabappel',
      password: 'a-long-passphrase',
      role: 'staff',
    }),
  },
  responses: { 201: jsonResponse(User, 'Created'), ...errorResponses },
});

export const get = defineRoute(access.tenant(), {
  operationId: 'getUser',
  summary: 'Get a user',
  method: 'get',
  path: '/users/{id}',
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(User, 'The user'), ...errorResponses },
});

export const patch = defineRoute(access.tenant(['tenant_admin']), {
  operationId: 'updateUser',
  summary: 'Update a user',
  method: 'patch',
  path: '/users/{id}',
  tags,
  audit: { action: 'user.updated', target: 'user' },
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .strictObject({
          ...fields,
          active: z.boolean().openapi({ description: 'false ends every session of the user' }),
        })
        .partial()
        .openapi('UserPatch'),
      { role: 'viewer' },
    ),
  },
  responses: { 200: jsonResponse(User, 'Updated'), ...errorResponses },
});

export const remove = defineRoute(access.tenant(['tenant_admin']), {
  operationId: 'deleteUser',
  summary: 'Delete a user',
  method: 'delete',
  path: '/users/{id}',
  tags,
  audit: { action: 'user.deleted', target: 'user' },
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});
