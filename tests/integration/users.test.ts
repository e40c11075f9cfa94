import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const newUser = (role: string, email = `${role}-${Math.random().toString(36).slice(2)}@school.test`) => ({
  email,
  name: `A ${role}`,
  password: 'correct-horse-battery',
  role,
});

describe('users API', () => {
  it('when a tenant admin creates a staff user, then the user can log in and is listed without a password hash', async () => {
    const t = await h.createTenant();
    const body = newUser('staff');
    const res = await h.request('POST', '/api/v1/users', { token: t.token, body });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ email: body.email, role: 'staff' });
    expect(created).not.toHaveProperty('passwordHash');

    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: t.slug, email: body.email, password: body.password },
    });
    expect(login.status).toBe(200);
    const list = (await (await h.request('GET', '/api/v1/users', { token: t.token })).json()) as { data: unknown[] };
    expect(list.data).toHaveLength(2);
  });

  it('when the same email is added twice in one tenant, then 409; in another tenant it is allowed', async () => {
    const a = await h.createTenant();
    const b = await h.createTenant();
    const body = newUser('viewer', 'same@school.test');
    expect((await h.request('POST', '/api/v1/users', { token: a.token, body })).status).toBe(201);
    const dup = await h.request('POST', '/api/v1/users', { token: a.token, body });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { code: string }).code).toBe('conflict');
    expect((await h.request('POST', '/api/v1/users', { token: b.token, body })).status).toBe(201);
  });

  it('when the plan allows five users, then the sixth is refused with quota_exceeded and not created', async () => {
    const t = await h.createTenant({ plan: 'basic' });
    for (let i = 0; i < 4; i++) {
      expect((await h.request('POST', '/api/v1/users', { token: t.token, body: newUser('viewer') })).status).toBe(201);
    }
    const over = await h.request('POST', '/api/v1/users', { token: t.token, body: newUser('viewer') });
    expect(over.status).toBe(403);
    expect(((await over.json()) as { code: string }).code).toBe('quota_exceeded');
    const list = (await (await h.request('GET', '/api/v1/users?limit=100', { token: t.token })).json()) as {
      data: unknown[];
    };
    expect(list.data).toHaveLength(5);
  });

  it('when a staff user tries to create a user, then 403 forbidden', async () => {
    const t = await h.createTenant();
    const staff = newUser('staff');
    const created = (await (await h.request('POST', '/api/v1/users', { token: t.token, body: staff })).json()) as {
      id: string;
    };
    const token = await h.tokenFor({ kind: 'tenant', tenantId: t.id, userId: created.id, role: 'staff' });
    const res = await h.request('POST', '/api/v1/users', { token, body: newUser('viewer') });
    expect(res.status).toBe(403);
  });

  it('when a user is deleted, then their still-valid token is refused with 401', async () => {
    const t = await h.createTenant();
    const created = (await (
      await h.request('POST', '/api/v1/users', { token: t.token, body: newUser('staff') })
    ).json()) as { id: string };
    const token = await h.tokenFor({ kind: 'tenant', tenantId: t.id, userId: created.id, role: 'staff' });
    expect((await h.request('GET', '/api/v1/students', { token })).status).toBe(200);
    expect((await h.request('DELETE', `/api/v1/users/${created.id}`, { token: t.token })).status).toBe(204);
    expect((await h.request('GET', '/api/v1/students', { token })).status).toBe(401);
  });
});
