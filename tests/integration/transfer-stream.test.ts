import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/http-fixtures.js';
import { exportText, linesOf, NDJSON, populatedTenant } from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ poolSize: 3 });
});
afterAll(() => h.close());

describe('tenant export over a real socket', () => {
  it('when more clients than pool connections abort exports mid-stream, then every transaction ends and a full export still works', async () => {
    const { tenant } = await populatedTenant(h, { students: 1500 });
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/tenants/${tenant.id}/export`;
    const headers = { authorization: `Bearer ${h.platformToken}` };
    try {
      for (let i = 0; i < 6; i++) {
        const abort = new AbortController();
        const res = await fetch(url, { headers, signal: abort.signal });
        expect(res.status).toBe(200);
        await res.body!.getReader().read();
        abort.abort();
      }
      const full = await fetch(url, { headers });
      expect(linesOf(await full.text()).filter((l) => l.table === 'students')).toHaveLength(1501);
      const pool = h.clients.pool;
      await eventually(async () =>
        expect({ idle: pool.idleCount, waiting: pool.waitingCount }).toEqual({ idle: pool.totalCount, waiting: 0 }),
      );
    } finally {
      server.close();
    }
  });

  it('when an export is sent as a chunked stream in small pieces, then the import reads it as it arrives and writes it all', async () => {
    const { tenant } = await populatedTenant(h, { students: 300 });
    const text = await exportText(h, tenant);
    expect(text.length).toBeGreaterThan(20 * 4093);
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/tenants`;
    const bytes = new TextEncoder().encode(text);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(sent, sent + 4093)); // pieces that split lines and characters
        sent += 4093;
      },
    });
    try {
      const slug = `stream-${crypto.randomUUID().slice(0, 8)}`;
      const res = await fetch(`${base}/import?mode=clone&slug=${slug}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.platformToken}`, ...NDJSON },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(201);
      const result = (await res.json()) as { tenant: { id: string }; counts: Record<string, number> };
      expect(result.counts.students).toBe(301);
      const again = await fetch(`${base}/${result.tenant.id}/export`, {
        headers: { authorization: `Bearer ${h.platformToken}` },
      });
      expect(linesOf(await again.text()).filter((l) => l.table === 'students')).toHaveLength(301);
    } finally {
      server.close();
    }
  }, 90_000);
});
