import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import {
  addUser,
  asPlatform,
  asTenant,
  createStudent,
  expectProblem,
  type PageBody,
  readJson,
  studentInput,
} from '../support/http-fixtures.js';
import { exportText, importText } from '../support/transfer-fixtures.js';

interface Entry {
  id: string;
  action: string;
  actorId: string | null;
  actorType: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  reason: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});

afterAll(async () => {
  await h?.close();
});

const rid = () => `audit-${randomBytes(6).toString('hex')}`;
const entriesOf = (requestId: string) => asPlatform(h, (tx) => tx.auditEntry.findMany({ where: { requestId } }));
const statusOf = async (id: string) =>
  (await asPlatform(h, (tx) => tx.tenant.findUnique({ where: { id }, select: { status: true } })))?.status;

// Another test file's outbox drain may deliver any tenant's TenantCreated (tenant.provisioned) at any time.
const requested = (e: Entry) => e.action !== 'tenant.provisioned';

async function auditLog(token: string, query = ''): Promise<Entry[]> {
  const res = await h.request('GET', `/api/v1/audit-log${query}`, { token });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await readJson<PageBody<Entry>>(res)).data.filter(requested);
}

describe('an audit entry is written in the same transaction as its change', () => {
  it('when a tenant write fails (409), then it leaves no audit entry', async () => {
    const t = await h.createTenant();
    const s = await createStudent(h, t.token);
    const requestId = rid();
    const res = await h.request('POST', '/api/v1/students', {
      token: t.token,
      body: studentInput({ studentNo: s.studentNo }),
      headers: { 'x-request-id': requestId },
    });
    await expectProblem(res, 409, 'conflict');
    expect(await entriesOf(requestId)).toEqual([]);
  });

  it('when a platform action is refused (409 invalid_transition), then it leaves no audit entry in the tenant’s log', async () => {
    const t = await h.createTenant();
    const requestId = rid();
    expect((await h.request('POST', `/api/v1/tenants/${t.id}/reactivate`, { token: h.platformToken })).status).toBe(
      409,
    );
    const res = await h.request('POST', `/api/v1/tenants/${t.id}/reactivate`, {
      token: h.platformToken,
      headers: { 'x-request-id': requestId, 'x-audit-reason': 'will not happen' },
    });
    await expectProblem(res, 409, 'invalid_transition');
    expect(await entriesOf(requestId)).toEqual([]);
  });

  it('when the audit insert fails, then the change is rolled back too (tenant request and platform action)', async () => {
    const t = await h.createTenant();
    const su = new pg.Client({ connectionString: h.db.superUrl });
    await su.connect();
    const constraint = `audit_refuse_${randomBytes(4).toString('hex')}`;
    // Refuses every new entry of this one tenant (NOT VALID: existing rows are not checked).
    await su.query(`ALTER TABLE audit_log ADD CONSTRAINT ${constraint} CHECK (tenant_id <> '${t.id}') NOT VALID`);
    try {
      const input = studentInput();
      const res = await h.request('POST', '/api/v1/students', { token: t.token, body: input });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const kept = await asTenant(h, t, (tx) =>
        tx.student.count({ where: { tenantId: t.id, studentNo: input.studentNo } }),
      );
      expect(kept).toBe(0);

      const suspend = await h.request('POST', `/api/v1/tenants/${t.id}/suspend`, { token: h.platformToken });
      expect(suspend.status).toBeGreaterThanOrEqual(400);
      expect(await statusOf(t.id)).toBe('active');
    } finally {
      await su.query(`ALTER TABLE audit_log DROP CONSTRAINT ${constraint}`);
      await su.end();
    }
    // The same calls succeed once entries can be written.
    expect((await h.request('POST', `/api/v1/tenants/${t.id}/suspend`, { token: h.platformToken })).status).toBe(200);
  });
});

describe('platform actions in the tenant’s audit log', () => {
  it('when a platform admin suspends with a reason, then the tenant admin sees the action, the admin and the reason, and another tenant does not', async () => {
    const t = await h.createTenant();
    const other = await h.createTenant();
    const requestId = rid();
    const suspended = await h.request('POST', `/api/v1/tenants/${t.id}/suspend`, {
      token: h.platformToken,
      headers: { 'x-audit-reason': '  Ticket 4711: unpaid invoice  ', 'x-request-id': requestId },
    });
    expect(suspended.status).toBe(200);
    expect(
      (
        await h.request('POST', `/api/v1/tenants/${t.id}/reactivate`, {
          token: h.platformToken,
          headers: { 'x-audit-reason': 'Paid' },
        })
      ).status,
    ).toBe(200);

    const log = await auditLog(t.token);
    const suspension = log.find((e) => e.action === 'tenant.suspended');
    expect(suspension).toMatchObject({
      actorId: h.platformAdminId,
      actorType: 'platform_admin',
      targetType: 'tenant',
      targetId: t.id,
      requestId,
      reason: 'Ticket 4711: unpaid invoice',
    });
    expect(log.find((e) => e.action === 'tenant.reactivated')?.reason).toBe('Paid');
    // Oldest first: creation, suspension, reactivation.
    expect(log.map((e) => e.action)).toEqual(['tenant.created', 'tenant.suspended', 'tenant.reactivated']);

    const foreign = await auditLog(other.token);
    expect(foreign.map((e) => e.targetId)).not.toContain(t.id);
    expect(foreign.map((e) => e.requestId)).not.toContain(requestId);
  });

  it('when a platform admin exports a tenant with a reason, then the export is in its log with the reason and the credentials flag', async () => {
    const t = await h.createTenant();
    const res = await h.request('GET', `/api/v1/tenants/${t.id}/export?includeCredentials=true`, {
      token: h.platformToken,
      headers: { 'x-audit-reason': 'Migration to the new region' },
    });
    expect(res.status).toBe(200);
    await res.text();
    const [entry] = await auditLog(t.token, '?action=tenant.exported');
    expect(entry).toMatchObject({
      actorType: 'platform_admin',
      actorId: h.platformAdminId,
      targetId: t.id,
      reason: 'Migration to the new region',
      data: { credentials: true },
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('when the reason is UTF-8, then it is stored as sent; when it is not text, too long or has control characters, then 400 and nothing changes', async () => {
    const t = await h.createTenant();
    const utf8 = Buffer.from('Überprüfung – Schulamt', 'utf8').toString('latin1');
    const ok = await h.request('PATCH', `/api/v1/tenants/${t.id}`, {
      token: h.platformToken,
      body: { name: 'Renamed once' },
      headers: { 'x-audit-reason': utf8 },
    });
    expect(ok.status).toBe(200);
    expect((await auditLog(t.token, '?action=tenant.updated'))[0]).toMatchObject({
      reason: 'Überprüfung – Schulamt',
      data: { fields: ['name'] },
    });

    for (const reason of ['x'.repeat(501), 'tab\there', '\xff\xfe not UTF-8']) {
      const res = await h.request('PATCH', `/api/v1/tenants/${t.id}`, {
        token: h.platformToken,
        body: { name: 'Renamed twice' },
        headers: { 'x-audit-reason': reason },
      });
      const problem = await expectProblem(res, 400, 'validation_failed');
      expect(problem.errors?.[0]?.path).toBe('X-Audit-Reason');
    }
    const tenant = await asPlatform(h, (tx) => tx.tenant.findUnique({ where: { id: t.id } }));
    expect(tenant?.name).toBe('Renamed once');
    expect(await auditLog(t.token, '?action=tenant.updated')).toHaveLength(1);
  });
});

describe('what is recorded outside the tenant’s log', () => {
  it('when a tenant is imported as a clone, then its log is the source’s and the import is a TenantImported platform event', async () => {
    const t = await h.createTenant();
    await createStudent(h, t.token);
    const source = await exportText(h, t);
    const slug = `clone-${randomBytes(4).toString('hex')}`;
    const res = await importText(h, source, h.platformToken, `?mode=clone&slug=${slug}`);
    expect(res.status).toBe(201);
    const { tenant } = await readJson<{ tenant: { id: string } }>(res);
    const events = await asPlatform(h, (tx) => tx.platformEvent.findMany({ where: { subjectId: tenant.id } }));
    expect(events.map((e) => e.type)).toEqual(['TenantImported']);
    expect(events[0]?.payload).toMatchObject({
      tenantId: tenant.id,
      sourceId: t.id,
      mode: 'clone',
      actorId: h.platformAdminId,
    });
    const log = await asPlatform(h, (tx) =>
      tx.auditEntry.findMany({ where: { tenantId: tenant.id }, orderBy: { id: 'asc' } }),
    );
    expect(log.map((e) => e.action)).toEqual(linesOfAudit(source));
  });

  it('when a tenant is purged, then its audit log is gone with it and TenantPurged is the record', async () => {
    const t = await h.createTenant();
    expect((await h.request('DELETE', `/api/v1/tenants/${t.id}`, { token: h.platformToken })).status).toBe(204);
    expect((await h.request('POST', `/api/v1/tenants/${t.id}/purge`, { token: h.platformToken })).status).toBe(200);
    expect(await asPlatform(h, (tx) => tx.auditEntry.count({ where: { tenantId: t.id } }))).toBe(0);
    const events = await asPlatform(h, (tx) => tx.platformEvent.findMany({ where: { subjectId: t.id } }));
    expect(events.map((e) => e.type)).toEqual(['TenantPurged']);
  });
});

const linesOfAudit = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.includes('"table":"audit_log"'))
    .map((l) => (JSON.parse(l) as { row: { action: string } }).row.action);

describe('REQUIRE_AUDIT_REASON=true', () => {
  let strict: Harness;
  let t: TestTenant;

  beforeAll(async () => {
    strict = await createHarness({ env: { REQUIRE_AUDIT_REASON: true } });
    t = await h.createTenant();
  });

  afterAll(async () => {
    await strict?.close();
  });

  it('when a platform action on a tenant gives no reason (or a blank one), then 400 validation_failed and nothing changes', async () => {
    for (const headers of [{}, { 'x-audit-reason': '   ' }] as Record<string, string>[]) {
      const res = await strict.request('POST', `/api/v1/tenants/${t.id}/suspend`, {
        token: strict.platformToken,
        headers,
      });
      const problem = await expectProblem(res, 400, 'validation_failed');
      expect(problem.detail).toMatch(/REQUIRE_AUDIT_REASON/);
    }
    await expectProblem(
      await strict.request('GET', `/api/v1/tenants/${t.id}/export`, { token: strict.platformToken }),
      400,
      'validation_failed',
    );
    expect(await statusOf(t.id)).toBe('active');
    expect((await auditLog(t.token)).map((e) => e.action)).toEqual(['tenant.created']);
  });

  it('when the reason is given, then the action is done and recorded with it; tenant users need none', async () => {
    for (const [action, reason] of [
      ['suspend', 'Requested by the school board'],
      ['reactivate', 'Resolved'],
    ]) {
      const res = await strict.request('POST', `/api/v1/tenants/${t.id}/${action}`, {
        token: strict.platformToken,
        headers: { 'x-audit-reason': reason as string },
      });
      expect(res.status).toBe(200);
    }
    const log = await auditLog(t.token);
    expect(log.map((e) => [e.action, e.reason])).toEqual([
      ['tenant.created', null],
      ['tenant.suspended', 'Requested by the school board'],
      ['tenant.reactivated', 'Resolved'],
    ]);
    const token = await strict.tokenFor({ kind: 'tenant', tenantId: t.id, userId: t.adminId, role: 'tenant_admin' });
    expect((await strict.request('POST', '/api/v1/students', { token, body: studentInput() })).status).toBe(201);
  });
});

describe('GET /api/v1/audit-log', () => {
  let t: TestTenant;
  let staff: Awaited<ReturnType<typeof addUser>>;
  let middle: string;

  beforeAll(async () => {
    t = await h.createTenant();
    staff = await addUser(h, t, 'staff');
    const first = await createStudent(h, t.token);
    await createStudent(h, t.token);
    await new Promise((r) => setTimeout(r, 30));
    middle = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    await createStudent(h, staff.token);
    expect((await h.request('DELETE', `/api/v1/students/${first.id}`, { token: t.token })).status).toBe(204);
  });

  it('when filtered by action, actor or time, then only the matching entries come back, oldest first', async () => {
    const all = await auditLog(t.token);
    expect(all.map((e) => e.action)).toEqual([
      'tenant.created',
      'user.created',
      'student.created',
      'student.created',
      'student.created',
      'student.deleted',
    ]);
    expect([...all.map((e) => e.id)].sort()).toEqual(all.map((e) => e.id));

    expect((await auditLog(t.token, '?action=student.created')).map((e) => e.actorId)).toEqual([
      t.adminId,
      t.adminId,
      staff.id,
    ]);
    const byStaff = await auditLog(t.token, `?actor=${staff.id}`);
    expect(byStaff.map((e) => e.action)).toEqual(['student.created']);
    expect(byStaff[0]?.actorType).toBe('user');

    const later = await auditLog(t.token, `?from=${encodeURIComponent(middle)}`);
    expect(later.map((e) => e.action)).toEqual(['student.created', 'student.deleted']);
    const earlier = await auditLog(t.token, `?to=${encodeURIComponent(middle)}`);
    expect(earlier).toHaveLength(all.length - 2);
    const window = await auditLog(
      t.token,
      `?from=${encodeURIComponent(middle)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&action=student.deleted`,
    );
    expect(window).toHaveLength(1);
  });

  it('when paged with limit and cursor, then the pages together are the whole log in order', async () => {
    const all = await auditLog(t.token);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await h.request('GET', `/api/v1/audit-log${query}`, { token: t.token });
      const page = await readJson<PageBody<Entry>>(res);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.filter(requested).map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('when a filter is malformed, then 400 validation_failed naming it', async () => {
    for (const [query, path] of [
      ['?from=yesterday', 'from'],
      ['?to=2026-11-27', 'to'],
      ['?actor=not-a-uuid', 'actor'],
      [`?from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z`, 'to'],
      ['?action=a%00b', 'action'],
      ['?verb=created', 'verb'],
    ] as const) {
      const res = await h.request('GET', `/api/v1/audit-log${query}`, { token: t.token });
      const problem = await expectProblem(res, 400, 'validation_failed');
      expect(
        problem.errors?.map((e) => e.path),
        query,
      ).toContain(path);
    }
  });

  it('when staff ask for the audit log, then 403', async () => {
    await expectProblem(await h.request('GET', '/api/v1/audit-log', { token: staff.token }), 403, 'forbidden');
  });
});
