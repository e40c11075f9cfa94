import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Tx } from '../../src/db/context.js';
import type { StudentDto } from '../../src/services/students.js';
import type { Harness, TestTenant } from './harness.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

/** A student as the API returns it (the service's DTO, so tests and code cannot drift). */
export type StudentBody = StudentDto;

export interface PageBody<T> {
  data: T[];
  nextCursor: string | null;
}

export const readJson = async <T>(res: Response): Promise<T> => (await res.json()) as T;

/** Asserts a problem+json response with the given status and code, and returns its body. */
export async function expectProblem(res: Response, status: number, code: string): Promise<ProblemBody> {
  const text = await res.text();
  expect({ status: res.status, body: text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as ProblemBody;
  expect(body).toMatchObject({ status, code });
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
  return body;
}

/** The parts of a problem that must not differ between two "indistinguishable" answers. */
export const comparable = ({ requestId: _ignored, ...rest }: ProblemBody) => rest;

export const uniqueNo = (prefix = 'S') => `${prefix}-${randomBytes(5).toString('hex')}`;

export const studentInput = (over: Record<string, unknown> = {}) => ({
  studentNo: uniqueNo(),
  firstName: 'Ada',
  lastName: 'Lovelace',
  ...over,
});

export async function createStudent(h: Harness, token: string, over: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/api/v1/students', { token, body: studentInput(over) });
  if (res.status !== 201) throw new Error(`createStudent: ${res.status} ${await res.text()}`);
  return readJson<StudentBody>(res);
}

/** Reads the database as the runtime role inside the tenant's own context (no HTTP involved). */
export const asTenant = <T>(h: Harness, tenant: Pick<TestTenant, 'id'>, fn: (tx: Tx) => Promise<T>) =>
  h.runner.tenant({ tenantId: tenant.id, userId: null }, ({ tx }) => fn(tx));

/** Reads the database through the platform role (cross-tenant, as the platform admin would). */
export const asPlatform = <T>(h: Harness, fn: (tx: Tx) => Promise<T>) =>
  h.runner.platform(h.platformAdminId, ({ tx }) => fn(tx));

/** Retries an assertion until it holds (outbox work may be another process's, and the suite shares one outbox). */
export async function eventually(assertion: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Adds a user through POST /api/v1/users as the tenant admin; returns it with a token minted for it. */
export async function addUser(h: Harness, tenant: TestTenant, role: 'tenant_admin' | 'staff' | 'viewer') {
  const body = {
    email: `${role}-${randomBytes(4).toString('hex')}@${tenant.slug}.test`,
    name: `A ${role}`,
    password: 'user-password-12',
    role,
  };
  const res = await h.request('POST', '/api/v1/users', { token: tenant.token, body });
  if (res.status !== 201) throw new Error(`addUser: ${res.status} ${await res.text()}`);
  const user = await readJson<{ id: string; email: string }>(res);
  const token = await h.tokenFor({ kind: 'tenant', tenantId: tenant.id, userId: user.id, role });
  return { ...user, password: body.password, token };
}

/** Deletes a tenant for good: the soft delete, then the purge (both through the API). */
export async function deleteAndPurge(h: Pick<Harness, 'request' | 'platformToken'>, tenantId: string): Promise<void> {
  const deleted = await h.request('DELETE', `/api/v1/tenants/${tenantId}`, { token: h.platformToken });
  expect(deleted.status).toBe(204);
  const purged = await h.request('POST', `/api/v1/tenants/${tenantId}/purge`, { token: h.platformToken });
  expect(purged.status).toBe(200);
}
