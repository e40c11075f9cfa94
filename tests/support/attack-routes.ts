import { randomBytes } from 'node:crypto';
import type { World } from './attack-fixtures.js';
import type { AttackServer } from './attack-server.js';
import { type StudentBody, studentInput } from './http-fixtures.js';

const hex = () => randomBytes(4).toString('hex');

async function post<T>(srv: AttackServer, w: World, path: string, body: object): Promise<T> {
  const res = await srv.call('POST', `/api/v1${path}`, { token: w.tenant.token, body });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Fresh, disposable resources in a world's tenant, created over HTTP with its admin token. */
export const fresh = {
  student: (srv: AttackServer, w: World) => post<StudentBody>(srv, w, '/students', studentInput()),
  course: (srv: AttackServer, w: World) =>
    post<{ id: string }>(srv, w, '/courses', { code: `C-${hex()}`, title: 'Course', capacity: 10 }),
  user: (srv: AttackServer, w: World) => post<{ id: string }>(srv, w, '/users', userInput()),
  async enrolled(srv: AttackServer, w: World) {
    const s = await fresh.student(srv, w);
    await post(srv, w, `/courses/${w.course.id}/enrollments`, { studentId: s.id });
    return s;
  },
};

export const userInput = () => ({ email: `u-${hex()}@x.test`, name: 'U', password: 'long-password-1', role: 'viewer' });

export interface Prepared {
  /** Under /api/v1. */
  path: string;
  body?: Record<string, unknown>;
  /** A caller of its own (a route acting on the caller's account); the tenant admin's otherwise. */
  token?: string;
}

/**
 * Every tenant write route ("METHOD /path" as in the OpenAPI document, without /api/v1), with
 * a request that is valid and acts on the world's own, fresh resources.
 */
export const TENANT_WRITES: Record<string, (srv: AttackServer, w: World) => Promise<Prepared>> = {
  'POST /students': async () => ({ path: '/students', body: studentInput() }),
  'POST /students/bulk': async () => ({ path: '/students/bulk', body: { students: [studentInput()] } }),
  'PATCH /students/{id}': async (s, w) => ({
    path: `/students/${(await fresh.student(s, w)).id}`,
    body: { firstName: 'Eve' },
  }),
  'DELETE /students/{id}': async (s, w) => ({ path: `/students/${(await fresh.student(s, w)).id}` }),
  'POST /courses': async () => ({ path: '/courses', body: { code: `K-${hex()}`, title: 'T' } }),
  'PATCH /courses/{id}': async (s, w) => ({
    path: `/courses/${(await fresh.course(s, w)).id}`,
    body: { title: 'Owned' },
  }),
  'DELETE /courses/{id}': async (s, w) => ({ path: `/courses/${(await fresh.course(s, w)).id}` }),
  'POST /courses/{id}/enrollments': async (s, w) => ({
    path: `/courses/${w.course.id}/enrollments`,
    body: { studentId: (await fresh.student(s, w)).id },
  }),
  'DELETE /courses/{id}/enrollments/{studentId}': async (s, w) => ({
    path: `/courses/${w.course.id}/enrollments/${(await fresh.enrolled(s, w)).id}`,
  }),
  'POST /users': async () => ({ path: '/users', body: userInput() }),
  'PATCH /users/{id}': async (s, w) => ({ path: `/users/${(await fresh.user(s, w)).id}`, body: { name: 'Renamed' } }),
  'DELETE /users/{id}': async (s, w) => ({ path: `/users/${(await fresh.user(s, w)).id}` }),
  'PATCH /tenant/settings': async () => ({ path: '/tenant/settings', body: { timezone: 'Europe/Paris' } }),
  // Acts on the caller: a fresh user of its own, so the admin's sessions are left alone.
  'POST /me/password': async (s, w) => {
    const input = userInput();
    await post(s, w, '/users', input);
    const res = await s.call('POST', '/api/v1/auth/login', {
      body: { tenant: w.tenant.slug, email: input.email, password: input.password },
    });
    const { accessToken } = (await res.json()) as { accessToken: string };
    return {
      path: '/me/password',
      body: { currentPassword: input.password, newPassword: 'a-fresh-long-passphrase' },
      token: accessToken,
    };
  },
};

export interface OpenApiOperation {
  parameters?: { name: string; in: string; schema?: { format?: string } }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown> };
}

/** Every documented operation, from the served /openapi.json. */
export async function documentedOperations(srv: AttackServer) {
  const doc = (await (await srv.call('GET', '/openapi.json')).json()) as OpenApiDocument;
  const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
  return { doc, ops };
}

/** Documented writes a tenant user can make (platform and auth routes excluded). */
export const isTenantWrite = (method: string, path: string) =>
  ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) && !/^\/api\/v1\/(auth|tenants|admin|events)\b/.test(path);
