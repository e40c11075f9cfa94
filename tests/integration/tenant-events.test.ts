import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { DomainEvent } from '../../src/domain/events.js';
import { createTenantService, type Outbox, transactionalOutbox } from '../../src/services/tenants.js';
import { createHarness, type Harness, randomSlug, type TestTenant } from '../support/harness.js';
import {
  addUser,
  asPlatform,
  asTenant,
  eventually,
  expectProblem,
  type PageBody,
  readJson,
} from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const input = (slug: string) => ({
  name: `School ${slug}`,
  slug,
  admin: { email: `first@${slug}.test`, password: 'first-admin-password', name: 'First' },
});

/** Everything a tenant creation could have left behind, read through the platform role. */
const leftovers = (slug: string, tenantId: string) =>
  asPlatform(h, async (tx) => ({
    tenants: await tx.tenant.count({ where: { OR: [{ slug }, { id: tenantId }] } }),
    settings: await tx.tenantSettings.count({ where: { tenantId } }),
    users: await tx.user.count({ where: { OR: [{ tenantId }, { email: `first@${slug}.test` }] } }),
    events: await tx.domainEvent.count({
      where: { OR: [{ tenantId }, { payload: { path: ['slug'], equals: slug } }] },
    }),
  }));

const NOTHING = { tenants: 0, settings: 0, users: 0, events: 0 };

/** An outbox that fails, before or after really writing the events; it remembers what it was given. */
function failingOutbox(when: 'before' | 'after'): Outbox & { seen: DomainEvent[] } {
  const seen: DomainEvent[] = [];
  return {
    seen,
    async append(tx, events) {
      seen.push(...events);
      if (when === 'after') await transactionalOutbox.append(tx, events);
      throw new Error('boom: injected outbox failure');
    },
  };
}

describe('atomic tenant creation', () => {
  for (const when of ['before', 'after'] as const) {
    it(`when the event write fails ${when} writing, then creation rejects and no tenant, settings, user or event remain`, async () => {
      const outbox = failingOutbox(when);
      const service = createTenantService({ db: h.runner, outbox });
      const slug = randomSlug();
      await expect(service.create(h.platformAdminId, input(slug))).rejects.toThrow(/injected outbox failure/);
      const tenantId = outbox.seen[0]?.tenantId;
      expect(tenantId).toEqual(expect.any(String));
      expect(await leftovers(slug, tenantId ?? '')).toEqual(NOTHING);
      // The slug is free again: a later, healthy creation with it succeeds.
      const retry = await h.request('POST', '/api/v1/tenants', { token: h.platformToken, body: input(slug) });
      expect(retry.status).toBe(201);
    });
  }

  it('when creation fails behind the HTTP API, then a generic 500 that leaks nothing, and nothing remains', async () => {
    const outbox = failingOutbox('after');
    const tenants = createTenantService({ db: h.runner, outbox });
    const app = createApp({ services: { ...h.services, tenants }, logger: pino({ level: 'silent' }) });
    const slug = randomSlug();
    const res = await app.request('/api/v1/tenants', {
      method: 'POST',
      headers: { authorization: `Bearer ${h.platformToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(input(slug)),
    });
    const body = await expectProblem(res, 500, 'internal_error');
    expect(JSON.stringify(body)).not.toMatch(/boom|outbox|stack/i);
    expect(await leftovers(slug, outbox.seen[0]?.tenantId ?? '')).toEqual(NOTHING);
  });
});

interface AuditBody {
  id: string;
  action: string;
  data: Record<string, unknown>;
}

const auditEntries = (t: TestTenant) =>
  asTenant(h, t, (tx) => tx.auditEntry.findMany({ where: { tenantId: t.id, action: 'tenant.provisioned' } }));

describe('the TenantCreated subscriber', () => {
  it('when the outbox is drained, then the tenant admin sees one tenant.provisioned audit entry and the event is dispatched', async () => {
    const t = await h.createTenant();
    const other = await h.createTenant();
    await eventually(async () => {
      await h.dispatcher.drain();
      expect(await auditEntries(t)).toHaveLength(1);
    });
    const res = await h.request('GET', '/api/v1/audit-log', { token: t.token });
    expect(res.status).toBe(200);
    const entries = (await readJson<PageBody<AuditBody>>(res)).data.filter((e) => e.action === 'tenant.provisioned');
    expect(entries).toHaveLength(1);
    expect(entries[0]?.data).toMatchObject({ slug: t.slug, adminUserId: t.adminId });

    const events = await h.request('GET', `/api/v1/events?type=TenantCreated&tenantId=${t.id}`, {
      token: h.platformToken,
    });
    const [event] = (await readJson<PageBody<{ dispatchedAt: string | null }>>(events)).data;
    expect(event?.dispatchedAt).toEqual(expect.any(String));

    const foreign = await readJson<PageBody<AuditBody>>(
      await h.request('GET', '/api/v1/audit-log', { token: other.token }),
    );
    expect(foreign.data.map((e) => e.data.slug)).not.toContain(t.slug);
  });

  it('when the outbox is drained twice or the event is delivered again, then there is still one entry', async () => {
    const t = await h.createTenant();
    await eventually(async () => {
      await h.dispatcher.drain();
      expect(await auditEntries(t)).toHaveLength(1);
    });
    await h.dispatcher.drain();
    expect(await auditEntries(t)).toHaveLength(1);

    // At-least-once delivery: make the event pending again, as a crash before the commit would.
    await asPlatform(h, (tx) =>
      tx.domainEvent.updateMany({ where: { tenantId: t.id, type: 'TenantCreated' }, data: { dispatchedAt: null } }),
    );
    await eventually(async () => {
      await h.dispatcher.drain();
      const pending = await asPlatform(h, (tx) =>
        tx.domainEvent.count({ where: { tenantId: t.id, dispatchedAt: null } }),
      );
      expect(pending).toBe(0);
    });
    expect(await auditEntries(t)).toHaveLength(1);
  });

  it('when a tenant viewer asks for the audit log, then 403 forbidden', async () => {
    const t = await h.createTenant();
    const viewer = await addUser(h, t, 'viewer');
    await expectProblem(await h.request('GET', '/api/v1/audit-log', { token: viewer.token }), 403, 'forbidden');
  });
});
