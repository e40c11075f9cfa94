import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, randomSlug, type TestTenant } from '../support/harness.js';
import { addUser, asPlatform, createStudent, readJson } from '../support/http-fixtures.js';

/**
 * Every write operation of the served OpenAPI document leaves an audit entry: each declares one
 * (`x-audit`: action and target), unless it is in EXEMPT with its reason, and each declared
 * operation is called here for real and must leave exactly that entry — in the right tenant's
 * log, naming the actor, the target and the request. A write route added without a
 * declaration, or without a call below, fails this file.
 */

const EXEMPT: Record<string, string> = {
  login: 'sign-in changes no tenant data (failures are logged and counted in metrics)',
  platformLogin: 'sign-in changes no tenant data (failures are logged and counted in metrics)',
  refreshTokens: 'token rotation changes no tenant data',
  logout: 'ending a session changes no tenant data',
  purgeTenant: 'the tenant’s audit log is removed with it; the purge is recorded as the TenantPurged platform event',
  importTenant:
    'the contract promises export → import → export gives the same rows; the import is recorded as the TenantImported platform event',
  retryEvent: 'outbox delivery bookkeeping: puts an event back in the queue, changes no tenant data',
};

interface Op {
  method: string;
  path: string;
  operationId: string;
  audit?: { action: string; target: string };
}

/** What a successful call must have left in the audit log. */
interface Expected {
  res: Response;
  tenantId: string;
  actorId: string;
  actorType: 'user' | 'platform_admin';
  targetId: string | null;
}

type Call = () => Promise<Expected>;

let h: Harness;
let t: TestTenant;
let ops: Op[];
/** Every operation, reads included. */
let docOps: Op[];

const requestId = () => `audit-${randomBytes(6).toString('hex')}`;

async function send(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  return h.request(method, path, { token, body, headers: { 'x-request-id': requestId(), ...headers } });
}

const asAdmin = (res: Response, targetId: string | null, tenant = t): Expected => ({
  res,
  tenantId: tenant.id,
  actorId: tenant.adminId,
  actorType: 'user',
  targetId,
});
const asPlatformAdmin = (res: Response, tenantId: string): Expected => ({
  res,
  tenantId,
  actorId: h.platformAdminId,
  actorType: 'platform_admin',
  targetId: tenantId,
});

async function course() {
  const res = await send('POST', '/api/v1/courses', t.token, {
    code: `C-${randomBytes(3).toString('hex')}`,
    title: 'X',
  });
  return readJson<{ id: string }>(res);
}

async function tenantOf(status: 'active' | 'suspended' | 'deleted') {
  const other = await h.createTenant();
  if (status !== 'active') {
    const res =
      status === 'deleted'
        ? await send('DELETE', `/api/v1/tenants/${other.id}`, h.platformToken)
        : await send('POST', `/api/v1/tenants/${other.id}/suspend`, h.platformToken);
    expect(res.status).toBeLessThan(300);
  }
  return other;
}

const CALLS: Record<string, Call> = {
  async createTenant() {
    const slug = randomSlug();
    const res = await send('POST', '/api/v1/tenants', h.platformToken, {
      name: 'Audited',
      slug,
      admin: { email: `admin@${slug}.test`, password: 'tenant-password-1', name: 'A' },
    });
    const body = await readJson<{ tenant: { id: string } }>(res.clone());
    return asPlatformAdmin(res, body.tenant.id);
  },
  async registerTenant() {
    const slug = randomSlug();
    const res = await h.request('POST', '/api/v1/tenants/register', {
      body: {
        name: 'Self-served',
        slug,
        admin: { email: `p@${slug}.test`, password: 'a-long-passphrase-9', name: 'P' },
      },
      headers: { 'x-request-id': requestId() },
    });
    const body = await readJson<{ tenant: { id: string }; admin: { id: string } }>(res.clone());
    // No platform admin acts: the new tenant's first admin is the actor.
    return { res, tenantId: body.tenant.id, actorId: body.admin.id, actorType: 'user', targetId: body.tenant.id };
  },
  async rotateTenantSigningKey() {
    const other = await tenantOf('active');
    const res = await send('POST', `/api/v1/tenants/${other.id}/signing-key/rotate`, h.platformToken);
    return asPlatformAdmin(res, other.id);
  },
  async revokeTenantSigningKeys() {
    const other = await tenantOf('active');
    const res = await send('POST', `/api/v1/tenants/${other.id}/signing-key/revoke`, h.platformToken);
    return asPlatformAdmin(res, other.id);
  },
  async updateTenant() {
    const other = await tenantOf('active');
    return asPlatformAdmin(
      await send('PATCH', `/api/v1/tenants/${other.id}`, h.platformToken, { name: 'Renamed' }),
      other.id,
    );
  },
  async suspendTenant() {
    const other = await tenantOf('active');
    return asPlatformAdmin(await send('POST', `/api/v1/tenants/${other.id}/suspend`, h.platformToken), other.id);
  },
  async reactivateTenant() {
    const other = await tenantOf('suspended');
    return asPlatformAdmin(await send('POST', `/api/v1/tenants/${other.id}/reactivate`, h.platformToken), other.id);
  },
  async deleteTenant() {
    const other = await tenantOf('active');
    return asPlatformAdmin(await send('DELETE', `/api/v1/tenants/${other.id}`, h.platformToken), other.id);
  },
  async restoreTenant() {
    const other = await tenantOf('deleted');
    return asPlatformAdmin(await send('POST', `/api/v1/tenants/${other.id}/restore`, h.platformToken), other.id);
  },
  async createStudent() {
    const res = await send('POST', '/api/v1/students', t.token, {
      studentNo: `S-${randomBytes(4).toString('hex')}`,
      firstName: 'A',
      lastName: 'B',
    });
    return asAdmin(res, (await readJson<{ id: string }>(res.clone())).id);
  },
  async createStudentsBulk() {
    const students = [1, 2].map(() => ({
      studentNo: `S-${randomBytes(4).toString('hex')}`,
      firstName: 'A',
      lastName: 'B',
    }));
    return asAdmin(await send('POST', '/api/v1/students/bulk', t.token, { students }), null);
  },
  async updateStudent() {
    const s = await createStudent(h, t.token);
    return asAdmin(await send('PATCH', `/api/v1/students/${s.id}`, t.token, { firstName: 'C' }), s.id);
  },
  async deleteStudent() {
    const s = await createStudent(h, t.token);
    return asAdmin(await send('DELETE', `/api/v1/students/${s.id}`, t.token), s.id);
  },
  async createCourse() {
    const res = await send('POST', '/api/v1/courses', t.token, {
      code: `C-${randomBytes(3).toString('hex')}`,
      title: 'X',
    });
    return asAdmin(res, (await readJson<{ id: string }>(res.clone())).id);
  },
  async updateCourse() {
    const c = await course();
    return asAdmin(await send('PATCH', `/api/v1/courses/${c.id}`, t.token, { title: 'Y' }), c.id);
  },
  async deleteCourse() {
    const c = await course();
    return asAdmin(await send('DELETE', `/api/v1/courses/${c.id}`, t.token), c.id);
  },
  async enrollStudent() {
    const [c, s] = [await course(), await createStudent(h, t.token)];
    return asAdmin(await send('POST', `/api/v1/courses/${c.id}/enrollments`, t.token, { studentId: s.id }), c.id);
  },
  async unenrollStudent() {
    const [c, s] = [await course(), await createStudent(h, t.token)];
    expect((await send('POST', `/api/v1/courses/${c.id}/enrollments`, t.token, { studentId: s.id })).status).toBe(201);
    return asAdmin(await send('DELETE', `/api/v1/courses/${c.id}/enrollments/${s.id}`, t.token), c.id);
  },
  async createUser() {
    const res = await send('POST', '/api/v1/users', t.token, {
      email: `u-${randomBytes(4).toString('hex')}@${t.slug}.test`,
      name: 'U',
      password: 'user-password-12',
      role: 'viewer',
    });
    return asAdmin(res, (await readJson<{ id: string }>(res.clone())).id);
  },
  async updateUser() {
    const u = await addUser(h, t, 'viewer');
    return asAdmin(await send('PATCH', `/api/v1/users/${u.id}`, t.token, { name: 'V' }), u.id);
  },
  async deleteUser() {
    const u = await addUser(h, t, 'viewer');
    return asAdmin(await send('DELETE', `/api/v1/users/${u.id}`, t.token), u.id);
  },
  async changePassword() {
    const u = await addUser(h, t, 'staff');
    const res = await send('POST', '/api/v1/me/password', u.token, {
      currentPassword: u.password,
      newPassword: 'a-brand-new-passphrase',
    });
    return { res, tenantId: t.id, actorId: u.id, actorType: 'user', targetId: u.id };
  },
  async updateTenantSettings() {
    return asAdmin(await send('PATCH', '/api/v1/tenant/settings', t.token, { timezone: 'Europe/Berlin' }), t.id);
  },
};

beforeAll(async () => {
  h = await createHarness({ env: { ALLOW_SELF_SIGNUP: true, TENANT_SIGNING_KEYS: true } });
  t = await h.createTenant({ plan: 'premium' });
  const doc = (await (await h.request('GET', '/openapi.json')).json()) as {
    paths: Record<string, Record<string, { operationId: string; 'x-audit'?: Op['audit'] }>>;
  };
  docOps = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      operationId: op.operationId,
      audit: op['x-audit'],
    })),
  );
  ops = docOps.filter((op) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(op.method));
});

afterAll(async () => {
  await h?.close();
});

describe('the audit declarations of the OpenAPI document', () => {
  it('when the document is read, then every write operation declares its audit entry or is exempt with a reason', () => {
    expect(ops.length).toBeGreaterThan(20);
    const undeclared = ops.filter((op) => !op.audit && !EXEMPT[op.operationId]).map((op) => `${op.method} ${op.path}`);
    expect(undeclared).toEqual([]);
    const both = ops.filter((op) => op.audit && EXEMPT[op.operationId]).map((op) => op.operationId);
    expect(both).toEqual([]);
    // The exemptions name operations that exist (a renamed route does not keep a stale excuse).
    const known = new Set(ops.map((op) => op.operationId));
    expect(Object.keys(EXEMPT).filter((id) => !known.has(id))).toEqual([]);
  });

  it('when the document is read, then no read operation writes an entry but the audited export', () => {
    const reads = docOps.filter((op) => op.method === 'GET' && op.audit).map((op) => op.operationId);
    expect(reads).toEqual(['exportTenant']);
  });

  it('when the document is read, then every declared action is a stable dotted name', () => {
    for (const op of ops.filter((o) => o.audit)) {
      expect(op.audit?.action, op.operationId).toMatch(/^[a-z]+\.[a-z_]+$/);
      expect(op.audit?.action.startsWith(`${op.audit?.target}.`) || op.audit?.target === 'course').toBe(true);
    }
  });

  it('when a declared operation has no call in this file, then this test says which', () => {
    const missing = ops.filter((op) => op.audit && !CALLS[op.operationId]).map((op) => op.operationId);
    expect(missing).toEqual([]);
  });
});

describe('every audited write operation, called for real', () => {
  it('when each one succeeds, then exactly its declared entry is in the right tenant’s log, naming actor, target and request', async () => {
    const audited = ops.filter((op) => op.audit);
    expect(audited.length).toBeGreaterThan(15);
    for (const op of audited) {
      const call = CALLS[op.operationId];
      if (!call) throw new Error(`no call for ${op.operationId}`);
      const expected = await call();
      expect(expected.res.status, `${op.operationId}: ${await expected.res.clone().text()}`).toBeLessThan(300);
      const id = expected.res.headers.get('x-request-id');
      const entries = await asPlatform(h, (tx) => tx.auditEntry.findMany({ where: { requestId: id } }));
      expect(entries, op.operationId).toHaveLength(1);
      expect(entries[0], op.operationId).toMatchObject({
        tenantId: expected.tenantId,
        action: op.audit?.action,
        actorId: expected.actorId,
        actorType: expected.actorType,
        targetType: op.audit?.target,
        targetId: expected.targetId,
        requestId: id,
        reason: null,
      });
    }
  });
});
