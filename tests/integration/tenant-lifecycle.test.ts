import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { TENANT_STATUSES, type TenantAction, type TenantStatus, TRANSITIONS } from '../../src/domain/tenant/status.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { asPlatform, expectProblem, type PageBody, readJson } from '../support/http-fixtures.js';
import { attempt, runtimeClient } from '../support/sql-runtime.js';
import { exportText, populatedTenant } from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  // Per-tenant signing keys on, so the purge check finds a key row of the tenant to remove too.
  h = await createHarness({ env: { TENANT_SIGNING_KEYS: true } });
});
afterAll(() => h.close());

const ACTIONS = Object.keys(TRANSITIONS) as TenantAction[];
const call = (action: TenantAction, id: string) =>
  action === 'delete'
    ? h.request('DELETE', `/api/v1/tenants/${id}`, { token: h.platformToken })
    : h.request('POST', `/api/v1/tenants/${id}/${action}`, { token: h.platformToken });

/** A fresh tenant brought to a status through the API. */
async function tenantIn(status: TenantStatus): Promise<TestTenant> {
  const t = await h.createTenant();
  if (status === 'suspended') expect((await call('suspend', t.id)).status).toBe(200);
  if (status === 'deleted') expect((await call('delete', t.id)).status).toBe(204);
  return t;
}

const statusOf = (id: string) =>
  asPlatform(h, async (tx) => (await tx.tenant.findUnique({ where: { id }, select: { status: true } }))?.status);

const eventTypes = (id: string) =>
  asPlatform(h, async (tx) =>
    (await tx.domainEvent.findMany({ where: { tenantId: id }, orderBy: { id: 'asc' }, select: { type: true } })).map(
      (e) => e.type,
    ),
  );

const EVENT_OF: Record<Exclude<TenantAction, 'purge'>, string> = {
  suspend: 'TenantSuspended',
  reactivate: 'TenantReactivated',
  delete: 'TenantDeleted',
  restore: 'TenantRestored',
};

describe('the tenant state machine over HTTP', () => {
  for (const from of TENANT_STATUSES) {
    for (const action of ACTIONS) {
      const allowed = TRANSITIONS[action].from.includes(from);
      it(`when a ${from} tenant gets ${action}, then ${allowed ? `it is ${TRANSITIONS[action].to}` : '409 invalid_transition naming its status'}`, async () => {
        const t = await tenantIn(from);
        const before = await eventTypes(t.id);
        const res = await call(action, t.id);
        if (!allowed) {
          const problem = await expectProblem(res, 409, 'invalid_transition');
          expect(problem.detail).toContain(from);
          expect(await statusOf(t.id)).toBe(from);
          expect(await eventTypes(t.id)).toEqual(before);
          return;
        }
        expect(res.status).toBe(action === 'delete' ? 204 : 200);
        if (action === 'purge') {
          expect(await statusOf(t.id)).toBeUndefined();
          return;
        }
        expect(await statusOf(t.id)).toBe(TRANSITIONS[action].to);
        // Exactly one event for the change, written with it.
        expect(await eventTypes(t.id)).toEqual([...before, EVENT_OF[action]]);
      });
    }
  }

  it('when the tenant does not exist, then every action is 404', async () => {
    for (const action of ACTIONS) {
      await expectProblem(await call(action, '01900000-0000-7000-8000-000000000000'), 404, 'not_found');
    }
  });
});

describe('a deleted tenant', () => {
  it('when deleted, then its users cannot log in, it is hidden from the default list and shown with ?status=deleted', async () => {
    const t = await tenantIn('deleted');
    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: t.slug, email: t.adminEmail, password: t.adminPassword },
    });
    await expectProblem(login, 401, 'unauthorized');
    await expectProblem(await h.request('GET', '/api/v1/tenant', { token: t.token }), 401, 'unauthorized');

    const ids = async (query: string) => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const suffix: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page: PageBody<{ id: string; status: string }> = await readJson(
          await h.request('GET', `/api/v1/tenants?limit=100${query}${suffix}`, { token: h.platformToken }),
        );
        found.push(...page.data.filter((x) => x.id === t.id).map((x) => `${x.id}:${x.status}`));
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    };
    expect(await ids('')).toEqual([]);
    expect(await ids('&status=deleted')).toEqual([`${t.id}:deleted`]);
  });

  it('when deleted, then PATCH is 409 invalid_transition', async () => {
    const t = await tenantIn('deleted');
    const res = await h.request('PATCH', `/api/v1/tenants/${t.id}`, { token: h.platformToken, body: { name: 'x' } });
    expect((await expectProblem(res, 409, 'invalid_transition')).detail).toContain('deleted');
  });

  it('when deleted and restored, then its data is byte-identical (export before delete = export after restore)', async () => {
    const { tenant } = await populatedTenant(h);
    // The outbox and the audit log record the deletion and the restore, so they (and the
    // trailer's counts and checksum over them) differ by design.
    const data = (text: string) =>
      text
        .split('\n')
        .filter(
          (l) =>
            !l.includes('"table":"domain_events"') &&
            !l.includes('"table":"audit_log"') &&
            !l.includes('"type":"tenantry-export-end"'),
        )
        .map((l) => l.replace(/"updatedAt":"[^"]*"/, '"updatedAt":"…"'))
        .join('\n');
    const before = await exportText(h, tenant, { credentials: true });
    expect((await call('delete', tenant.id)).status).toBe(204);
    const restored = await call('restore', tenant.id);
    expect(restored.status).toBe(200);
    const back = await readJson<Record<string, unknown>>(restored);
    expect(back.status).toBe('active');
    expect(back).not.toHaveProperty('deletedAt');
    expect(back).not.toHaveProperty('purgeAfter');
    expect(data(await exportText(h, tenant, { credentials: true }))).toBe(data(before));
    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.adminEmail, password: tenant.adminPassword },
    });
    expect(login.status).toBe(200);
  });

  it('when its grace period is over, then the sweep purges it, and not one restored in time', async () => {
    const late = await tenantIn('deleted');
    const restoredInTime = await tenantIn('deleted');
    expect(await h.services.tenants.sweep(new Date())).not.toContain(late.id);
    expect((await call('restore', restoredInTime.id)).status).toBe(200);
    const purged = await h.services.tenants.sweep(new Date(Date.now() + 31 * 24 * 60 * 60 * 1000));
    expect(purged).toContain(late.id);
    expect(purged).not.toContain(restoredInTime.id);
    expect(await statusOf(late.id)).toBeUndefined();
    expect(await statusOf(restoredInTime.id)).toBe('active');
  });

  it('when the grace period is over (TENANT_GRACE_DAYS=0), then restore is 409 invalid_transition and purge still works', async () => {
    const h0 = await createHarness({ tenantGraceDays: 0 });
    try {
      const t = await h0.createTenant();
      expect((await h0.request('DELETE', `/api/v1/tenants/${t.id}`, { token: h0.platformToken })).status).toBe(204);
      const res = await h0.request('POST', `/api/v1/tenants/${t.id}/restore`, { token: h0.platformToken });
      expect((await expectProblem(res, 409, 'invalid_transition')).detail).toMatch(/deleted.*grace/);
      expect(await statusOf(t.id)).toBe('deleted');
      expect((await h0.request('POST', `/api/v1/tenants/${t.id}/purge`, { token: h0.platformToken })).status).toBe(200);
    } finally {
      await h0.close();
    }
  });
});

describe('the state machine in the database (platform login, plain SQL)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = await runtimeClient(h.db.platformUrl);
    await client.query('BEGIN');
  });
  afterAll(async () => {
    await client.query('ROLLBACK');
    await client.end();
  });

  const update = (id: string, to: TenantStatus) =>
    attempt(
      client,
      // The grace period's end comes as a value: Citus refuses non-immutable functions in CASE.
      `UPDATE tenants SET status = $2::text, purge_after = CASE WHEN $2::text = 'deleted' THEN $3::timestamptz END WHERE id = $1`,
      [id, to, new Date(Date.now() + 24 * 60 * 60 * 1000)],
    );

  it('when any status is set from any other, then only the moves of the state machine pass; the rest raise TN409', async () => {
    const allowed = new Set(
      ACTIONS.filter((a) => a !== 'purge').flatMap((a) => TRANSITIONS[a].from.map((f) => `${f}->${TRANSITIONS[a].to}`)),
    );
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const from of TENANT_STATUSES) {
      const t = await tenantIn(from);
      for (const to of TENANT_STATUSES) {
        if (to === from) continue;
        const key = `${from}->${to}`;
        const result = await update(t.id, to);
        outcomes[key] = result.code ?? `updated ${result.rowCount}`;
        expected[key] = allowed.has(key) ? 'updated 1' : 'TN409';
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it('when a tenant row is deleted (purge), then only a deleted one goes; others raise TN409', async () => {
    for (const from of TENANT_STATUSES) {
      const t = await tenantIn(from);
      const result = await attempt(client, 'DELETE FROM tenants WHERE id = $1', [t.id]);
      expect({ from, outcome: result.code ?? `deleted ${result.rowCount}` }).toEqual({
        from,
        outcome: from === 'deleted' ? 'deleted 1' : 'TN409',
      });
    }
  });

  it('when the grace period is over or the marks are edited by hand, then restore raises and the marks stay', async () => {
    const t = await tenantIn('deleted');
    const marks = async () =>
      (await client.query('SELECT deleted_at, purge_after FROM tenants WHERE id = $1', [t.id])).rows[0] as Record<
        string,
        Date
      >;
    const before = await marks();
    await client.query("UPDATE tenants SET purge_after = now() - interval '1 day', deleted_at = NULL WHERE id = $1", [
      t.id,
    ]);
    expect(await marks()).toEqual(before);
    expect((await update(t.id, 'active')).rowCount).toBe(1);

    const expired = newId();
    await client.query(
      `INSERT INTO tenants (id, slug, name, status, deleted_at, purge_after)
       VALUES ($1, $2, 'Expired', 'deleted', now() - interval '2 days', now() - interval '1 day')`,
      [expired, `expired-${expired.slice(-12)}`],
    );
    expect((await update(expired, 'active')).code).toBe('TN409');
    expect((await attempt(client, 'DELETE FROM tenants WHERE id = $1', [expired])).rowCount).toBe(1);
  });
});

describe('purge', () => {
  it('when purged, then no table with a tenant_id column (from the catalog) holds a row of it, and TenantPurged keeps the counts', async () => {
    const { tenant } = await populatedTenant(h);
    const other = await populatedTenant(h);
    // A refresh token too, so every tenant table has rows.
    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.adminEmail, password: tenant.adminPassword },
    });
    expect(login.status).toBe(200);
    const counts = (id: string) =>
      asPlatform(h, async (tx) => {
        const tables = await tx.$queryRaw<{ name: string }[]>`
          SELECT c.relname AS name FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`;
        const out: Record<string, number> = {};
        for (const { name } of tables) {
          const rows = await tx.$queryRawUnsafe<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM public."${name.replaceAll('"', '""')}" WHERE tenant_id = $1::uuid`,
            id,
          );
          out[name] = rows[0]!.n;
        }
        return out;
      });
    const before = await counts(tenant.id);
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(8);
    expect(Object.entries(before).filter(([, n]) => n === 0)).toEqual([]);
    const otherBefore = await counts(other.tenant.id);

    expect((await call('delete', tenant.id)).status).toBe(204);
    const res = await call('purge', tenant.id);
    expect(res.status).toBe(200);
    const body = await readJson<{ tenantId: string; counts: Record<string, number> }>(res);
    expect(body.counts).toMatchObject({ students: before.students, users: before.users, courses: before.courses });

    expect(Object.entries(await counts(tenant.id)).filter(([, n]) => n !== 0)).toEqual([]);
    expect(await statusOf(tenant.id)).toBeUndefined();
    expect(await counts(other.tenant.id)).toEqual(otherBefore);
    const purgedEvents = await asPlatform(h, (tx) => tx.platformEvent.findMany({ where: { subjectId: tenant.id } }));
    expect(purgedEvents.map((e) => e.type)).toEqual(['TenantPurged']);
    expect(purgedEvents[0]!.payload).toMatchObject({ tenantId: tenant.id, counts: body.counts });
    await expectProblem(await call('purge', tenant.id), 404, 'not_found');
    // The slug is free again.
    const again = await h.request('POST', '/api/v1/tenants', {
      token: h.platformToken,
      body: { name: 'Again', slug: tenant.slug, admin: { email: 'a@b.test', password: 'again-password-1', name: 'A' } },
    });
    expect(again.status).toBe(201);
  });
});
