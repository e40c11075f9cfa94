import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OutboxEvent } from '../../src/events/dispatcher.js';
import type { EventDto } from '../../src/services/events.js';
import { createHarnessOn, type Harness } from '../support/harness.js';
import { asPlatform, expectProblem, type PageBody, readJson } from '../support/http-fixtures.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

// A database of its own: the shared test database's outbox is drained by every test file's
// dispatcher, whose default subscribers would deliver these events before they could fail.
const base = inject('db');
let scratch: ScratchDatabase;
let db: typeof base;
beforeAll(async () => {
  scratch = await createScratchDatabase(base, 'tenantry_outbox');
  db = { ...base, ...scratch };
});
afterAll(() => scratch.drop());

const eventsOf = async (h: Harness, query: string) =>
  (
    await readJson<PageBody<EventDto>>(
      await h.request('GET', `/api/v1/events?limit=100&${query}`, { token: h.platformToken }),
    )
  ).data;

describe('outbox delivery', () => {
  it('when the server restarts before delivering, then the next instance delivers every event exactly once', async () => {
    const seen: string[] = [];
    const record = async (_: unknown, e: OutboxEvent) => void seen.push(`${e.type}:${e.id}`);
    const first = await createHarnessOn(db, {});
    // The first instance writes events and stops without delivering (its dispatcher never started).
    const t = await first.createTenant();
    expect(
      (await first.request('POST', `/api/v1/tenants/${t.id}/suspend`, { token: first.platformToken })).status,
    ).toBe(200);
    expect(
      (
        await first.request('PATCH', `/api/v1/tenants/${t.id}`, {
          token: first.platformToken,
          body: { plan: 'enterprise' },
        })
      ).status,
    ).toBe(200);
    await first.close();

    const second = await createHarnessOn(db, {
      subscribers: {
        TenantCreated: [record],
        TenantSuspended: [record],
        TenantUpdated: [record],
        TenantPlanChanged: [record],
      },
    });
    try {
      await second.dispatcher.drain();
      await second.dispatcher.drain();
      const types = seen.filter((s) => s.includes(':')).map((s) => s.split(':')[0]);
      expect(types.sort()).toEqual(['TenantCreated', 'TenantPlanChanged', 'TenantSuspended', 'TenantUpdated']);
      expect(new Set(seen).size).toBe(seen.length);
      const pending = await asPlatform(second, (tx) =>
        tx.domainEvent.count({ where: { tenantId: t.id, dispatchedAt: null } }),
      );
      expect(pending).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('when a subscriber keeps failing, then the event is retried with backoff, dead-lettered after the last attempt, listed as failed, and delivered after a retry', async () => {
    let failing = true;
    let calls = 0;
    const h = await createHarnessOn(db, {
      outbox: { maxAttempts: 3, baseMs: 1, maxMs: 5 },
      subscribers: {
        TenantSuspended: [
          async () => {
            calls += 1;
            if (failing) throw new Error('subscriber unavailable');
          },
        ],
      },
    });
    try {
      const t = await h.createTenant();
      expect((await h.request('POST', `/api/v1/tenants/${t.id}/suspend`, { token: h.platformToken })).status).toBe(200);
      for (let i = 0; i < 50 && calls < 3; i++) {
        await h.dispatcher.drain();
        await new Promise((r) => setTimeout(r, 10));
      }
      const failed = (await eventsOf(h, `status=failed&tenantId=${t.id}`)).filter((e) => e.type === 'TenantSuspended');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ status: 'failed', attempts: 3, lastError: 'Error: subscriber unavailable' });
      expect(calls).toBe(3);
      // A dead letter is not retried by the dispatcher on its own.
      await h.dispatcher.drain();
      expect(calls).toBe(3);
      expect(h.dispatcher.counts()).toMatchObject({ retried: 2, dead_lettered: 1 });

      const metrics = await h.app.request('/metrics');
      expect(await metrics.text()).toMatch(/tenantry_outbox_events\{state="failed"\} [1-9]/);

      failing = false;
      const id = failed[0]!.id;
      const retried = await h.request('POST', `/api/v1/events/${id}/retry`, { token: h.platformToken });
      expect(retried.status).toBe(204);
      await h.dispatcher.drain();
      expect(calls).toBe(4);
      const after = (await eventsOf(h, `tenantId=${t.id}`)).find((e) => e.id === id);
      expect(after).toMatchObject({ status: 'dispatched', failedAt: null });
      expect(await eventsOf(h, `status=failed&tenantId=${t.id}`)).toEqual([]);
      await expectProblem(
        await h.request('POST', `/api/v1/events/${id}/retry`, { token: h.platformToken }),
        409,
        'conflict',
      );
      await expectProblem(
        await h.request('POST', '/api/v1/events/01900000-0000-7000-8000-000000000000/retry', {
          token: h.platformToken,
        }),
        404,
        'not_found',
      );
    } finally {
      await h.close();
    }
  });
});
