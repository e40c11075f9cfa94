import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { PLAN_DEFAULTS } from '../../src/domain/tenant/plans.js';
import { uniqueCode } from '../support/course-fixtures.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import {
  addUser,
  asPlatform,
  asTenant,
  createStudent,
  deleteAndPurge,
  expectProblem,
  readJson,
  studentInput,
} from '../support/http-fixtures.js';
import { signal } from '../support/signal.js';
import { exportText, importText, splitTrailer } from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ poolSize: 8 });
});
afterAll(() => h.close());

interface TenantBody {
  id: string;
  plan: string;
  limits: Record<string, number>;
  features: Record<string, unknown>;
}

const patchTenant = (t: Pick<TestTenant, 'id'>, body: unknown) =>
  h.request('PATCH', `/api/v1/tenants/${t.id}`, { token: h.platformToken, body });

const stored = (t: Pick<TestTenant, 'id'>) =>
  asPlatform(h, (tx) => tx.tenantSettings.findUniqueOrThrow({ where: { tenantId: t.id } }));

const planEvents = (t: Pick<TestTenant, 'id'>) =>
  asPlatform(h, (tx) =>
    tx.domainEvent.findMany({ where: { tenantId: t.id, type: 'TenantPlanChanged' }, orderBy: { id: 'asc' } }),
  );

const courseCount = (t: TestTenant) => asTenant(h, t, (tx) => tx.course.count({ where: { tenantId: t.id } }));
const studentCount = (t: TestTenant) => asTenant(h, t, (tx) => tx.student.count({ where: { tenantId: t.id } }));

describe('plans', () => {
  it('when a tenant is created without a plan, then it is on basic with basic’s limits and features', async () => {
    const t = await h.createTenant();
    const body = await readJson<TenantBody>(await h.request('GET', '/api/v1/tenant', { token: t.token }));
    expect(body).toMatchObject({ plan: 'basic', limits: PLAN_DEFAULTS.basic.limits });
    expect(body.features).toEqual(PLAN_DEFAULTS.basic.features);
  });

  it('when a client sends the old plan names, then they are taken as the plans they became', async () => {
    const t = await h.createTenant({ plan: 'free' });
    expect((await stored(t)).plan).toBe('basic');
    const res = await patchTenant(t, { plan: 'standard' });
    expect(res.status).toBe(200);
    expect(await readJson<TenantBody>(res)).toMatchObject({ plan: 'premium', limits: PLAN_DEFAULTS.premium.limits });
    expect((await stored(t)).plan).toBe('premium');
    expect((await planEvents(t)).map((e) => e.payload)).toEqual([
      expect.objectContaining({ tenantId: t.id, from: 'basic', to: 'premium' }),
    ]);
  });

  it('when an export made before the rename names an old plan, then the import stores the plan it became', async () => {
    const t = await h.createTenant({ plan: 'premium' });
    const { lines } = splitTrailer(await exportText(h, t));
    await deleteAndPurge(h, t.id);
    // As the earlier version wrote it: version 1 (no trailer), the plan under its old name.
    lines[0] = lines[0]!.replace('"version":2', '"version":1');
    const settings = lines.findIndex((l) => l.includes('"table":"tenant_settings"'));
    expect(lines[settings]).toContain('"plan":"premium"');
    lines[settings] = lines[settings]!.replace('"plan":"premium"', '"plan":"standard"');
    const res = await importText(h, `${lines.join('\n')}\n`);
    expect(res.status).toBe(201);
    expect(await readJson<{ tenant: TenantBody }>(res)).toMatchObject({ tenant: { id: t.id, plan: 'premium' } });
    expect((await stored(t)).plan).toBe('premium');
  });

  it('when the plan is unknown, then 400 and nothing changes', async () => {
    const t = await h.createTenant();
    await expectProblem(await patchTenant(t, { plan: 'gold' }), 400, 'validation_failed');
    expect((await stored(t)).plan).toBe('basic');
  });

  it('when a custom plan gets its limits from overrides, then they apply; null removes an override again', async () => {
    const t = await h.createTenant({ plan: 'custom' });
    const set = await patchTenant(t, { limits: { maxStudents: 1, maxCourses: 4 } });
    expect(set.status).toBe(200);
    expect((await readJson<TenantBody>(set)).limits).toMatchObject({ maxStudents: 1, maxCourses: 4 });
    const cleared = await readJson<TenantBody>(await patchTenant(t, { limits: { maxCourses: null } }));
    expect(cleared.limits).toMatchObject({ maxStudents: 1, maxCourses: PLAN_DEFAULTS.custom.limits.maxCourses });
    expect((await stored(t)).limits).toEqual({ maxStudents: 1 });
  });

  it('when a limit override is out of range, then 400 and nothing changes', async () => {
    const t = await h.createTenant();
    for (const limits of [{ statementTimeoutMs: 10 }, { maxCourses: -1 }, { maxWidgets: 3 }]) {
      await expectProblem(await patchTenant(t, { limits }), 400, 'validation_failed');
    }
    expect((await stored(t)).limits).toEqual({});
  });
});

describe('plan changes over current usage', () => {
  it('when a downgrade would leave more users than the new plan allows, then 409 naming the limit, usage and new limit, and nothing changes', async () => {
    const t = await h.createTenant({ plan: 'premium' });
    for (let i = 0; i < 5; i++) await addUser(h, t, 'viewer'); // 6 users with the admin; basic allows 5
    const res = await patchTenant(t, { plan: 'basic', name: 'Renamed' });
    const problem = await expectProblem(res, 409, 'conflict');
    expect(problem.detail).toContain('maxUsers');
    expect(problem.detail).toMatch(/\b5\b/);
    expect(problem.detail).toMatch(/\b6\b/);
    expect(problem.errors).toEqual([{ path: 'limits.maxUsers', message: '6 in use, new limit 5' }]);
    expect((await stored(t)).plan).toBe('premium');
    expect(await planEvents(t)).toEqual([]);
    const tenant = await readJson<{ name: string }>(
      await h.request('GET', `/api/v1/tenants/${t.id}`, { token: h.platformToken }),
    );
    expect(tenant.name).not.toBe('Renamed');
  });

  it('when a limits override would be below current usage, then 409; at exactly the usage it is accepted', async () => {
    const t = await h.createTenant();
    for (let i = 0; i < 3; i++) await createStudent(h, t.token);
    const problem = await expectProblem(await patchTenant(t, { limits: { maxStudents: 2 } }), 409, 'conflict');
    expect(problem.detail).toContain('maxStudents 2 < 3 in use');
    expect((await stored(t)).limits).toEqual({});
    expect((await patchTenant(t, { limits: { maxStudents: 3 } })).status).toBe(200);
    await expectProblem(
      await h.request('POST', '/api/v1/students', { token: t.token, body: studentInput() }),
      403,
      'quota_exceeded',
    );
  });

  it('when a limit cut races with creates, then the tenant never ends above the limit it ends with', async () => {
    for (let round = 0; round < 3; round++) {
      const t = await h.createTenant({ plan: 'premium' });
      for (let i = 0; i < 3; i++) await createStudent(h, t.token);
      const creates = Array.from({ length: 8 }, () =>
        h.request('POST', '/api/v1/students', { token: t.token, body: studentInput() }),
      );
      const cut = patchTenant(t, { limits: { maxStudents: 5 } });
      const [patched] = await Promise.all([cut, ...creates]);
      const limit = Number(((await stored(t)).limits as { maxStudents?: number }).maxStudents ?? Infinity);
      expect([200, 409]).toContain(patched.status);
      expect(await studentCount(t)).toBeLessThanOrEqual(limit);
    }
  });

  it('when a limit cut arrives while a create holds the quota lock, then it waits for the create and counts its row', async () => {
    const t = await h.createTenant();
    for (let i = 0; i < 2; i++) await createStudent(h, t.token);
    const { promise: released, resolve: release } = signal();
    const { promise: isLocked, resolve: locked } = signal();
    // A create in flight: the quota lock taken, its row written, not yet committed.
    const creating = h.runner.tenant({ tenantId: t.id, userId: null }, async ({ tx }) => {
      await tx.$queryRaw`SELECT used FROM app.lock_quota(${t.id}::uuid, 'students')`;
      await tx.student.create({ data: { tenantId: t.id, id: newId(), ...studentInput() } });
      locked();
      await released;
    });
    await isLocked;
    // Counted without the lock, the cut would see 2 students and pass, leaving 3 over a limit of 2.
    const cut = patchTenant(t, { limits: { maxStudents: 2 } });
    const early = await Promise.race([cut.then(() => 'answered'), sleep(500).then(() => 'waiting')]);
    expect(early).toBe('waiting');
    release();
    await creating;
    const problem = await expectProblem(await cut, 409, 'conflict');
    expect(problem.detail).toContain('maxStudents 2 < 3 in use');
    expect(await studentCount(t)).toBe(3);
  });

  it('when a plan changes within the usage, then TenantPlanChanged is written once, with the actor', async () => {
    const t = await h.createTenant();
    expect((await patchTenant(t, { plan: 'enterprise' })).status).toBe(200);
    expect((await patchTenant(t, { plan: 'enterprise' })).status).toBe(200); // no change: no event
    const events = await planEvents(t);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ from: 'basic', to: 'enterprise', actorId: h.platformAdminId });
  });
});

describe('maxCourses', () => {
  it('when the plan allows two courses, then the third is 403 quota_exceeded and not stored', async () => {
    const t = await h.createTenant();
    expect((await patchTenant(t, { limits: { maxCourses: 2 } })).status).toBe(200);
    const create = () =>
      h.request('POST', '/api/v1/courses', { token: t.token, body: { code: uniqueCode(), title: 'Algebra' } });
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    const over = await expectProblem(await create(), 403, 'quota_exceeded');
    expect(over.detail).toContain('at most 2 courses');
    expect(await courseCount(t)).toBe(2);
  });

  it('when 20 courses are created at once against a limit of 5, then exactly 5 are stored', async () => {
    const t = await h.createTenant();
    expect((await patchTenant(t, { limits: { maxCourses: 5 } })).status).toBe(200);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.request('POST', '/api/v1/courses', { token: t.token, body: { code: uniqueCode(), title: 'Race' } }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 403)).toHaveLength(15);
    expect(await courseCount(t)).toBe(5);
  });
});

describe('statementTimeoutMs', () => {
  /** Holds the tenant's quota lock in a transaction of its own until released (at most `ms`), so a create must wait. */
  async function holdQuotaLock(t: TestTenant, ms: number) {
    const { promise: isLocked, resolve: locked } = signal();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
      setTimeout(resolve, ms);
    });
    const held = h.runner.tenant({ tenantId: t.id, userId: null }, async ({ tx }) => {
      await tx.$queryRaw`SELECT used FROM app.lock_quota(${t.id}::uuid, 'students')`;
      locked();
      await released;
    });
    await isLocked;
    return { held, release };
  }

  it('when a tenant’s plan has a short statement timeout, then its slow statement is cut off with 503 while another tenant’s waits and succeeds', async () => {
    const quick = await h.createTenant();
    const patient = await h.createTenant();
    expect((await patchTenant(quick, { limits: { statementTimeoutMs: 300 } })).status).toBe(200);

    // Held far longer than the 300 ms timeout: only the tenant's own timeout can end the wait.
    const a = await holdQuotaLock(quick, 10_000);
    const started = Date.now();
    const cut = await h.request('POST', '/api/v1/students', { token: quick.token, body: studentInput() });
    const elapsed = Date.now() - started;
    a.release();
    await a.held;
    await expectProblem(cut, 503, 'service_unavailable');
    expect(elapsed).toBeLessThan(8_000);

    // The other tenant (basic: 5 s) waits out a 1 s lock and succeeds.
    const b = await holdQuotaLock(patient, 1_000);
    const waited = await h.request('POST', '/api/v1/students', { token: patient.token, body: studentInput() });
    expect(waited.status).toBe(201);
    await b.held;
    expect(await studentCount(quick)).toBe(0);
    expect(await studentCount(patient)).toBe(1);
  });

  it('when a tenant transaction carries a plan timeout, then it is set transaction-locally, and never above the server’s ceiling', async () => {
    const t = await h.createTenant();
    const show = (statementTimeoutMs?: number) =>
      h.runner.tenant({ tenantId: t.id, userId: null, statementTimeoutMs }, async ({ tx }) => {
        const [row] = await tx.$queryRaw<{ statement_timeout: string }[]>`SHOW statement_timeout`;
        return row?.statement_timeout;
      });
    expect(await show(300)).toBe('300ms');
    expect(await show(600_000)).toBe('15s'); // the harness's DB_STATEMENT_TIMEOUT_MS
    expect(await show()).toBe('15s');
  });
});
