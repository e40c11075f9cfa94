import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

// A server starting while other instances serve re-applies sql/ (policies, triggers): its DDL
// must not make the other instances' requests queue behind it for long.
let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await createScratchDatabase(inject('db'), 'tenantry_traffic');
}, 120_000);
afterAll(async () => {
  await scratch?.drop();
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('re-applying sql/ while requests run', () => {
  it('when a request holds a tenant table, then a starting instance gives way instead of stalling the next requests, and finishes once the table is free', async () => {
    const holder = await connect(scratch.runtimeUrl);
    const next = await connect(scratch.runtimeUrl);
    try {
      // A long request: its transaction has read students (no tenant context: no rows, same lock).
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM students');
      const logs: string[] = [];
      const started = Date.now();
      const migrating = migrate(scratch.adminUrl, (m) => logs.push(m));
      await new Promise((r) => setTimeout(r, 500));
      // A new request meanwhile: it must not wait for the holder behind the migration's lock request.
      const t0 = Date.now();
      await next.query(`SET statement_timeout = '5s'`);
      await next.query('BEGIN');
      await next.query('SELECT count(*) FROM students');
      await next.query('COMMIT');
      const waited = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 6000 - (Date.now() - started)));
      await holder.query('COMMIT');
      await migrating;
      expect(waited).toBeLessThan(4000);
      expect(logs.some((m) => /a table was busy, retrying/.test(m))).toBe(true);
    } finally {
      await holder.end();
      await next.end();
    }
  }, 120_000);
});
