import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

// The plans migration on a database as the earlier version left it: tenants stored under the
// old plan names, no CHECK on the column, the migration not yet recorded.
const MIGRATION = '20261128000000_plans';
const db = inject('db');
let scratch: ScratchDatabase;

const query = async (url: string, sql: string, params: unknown[] = []) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  scratch = await createScratchDatabase(db, 'tenantry_plans');
}, 60_000);
afterAll(() => scratch?.drop());

describe('the plans migration', () => {
  it('when tenants are stored as free and standard, then they become basic and premium, other plans stay, and old names are refused afterwards', async () => {
    await scratch.exec(
      'super',
      `DELETE FROM "_prisma_migrations" WHERE migration_name = '${MIGRATION}';
       ALTER TABLE tenant_settings DROP CONSTRAINT tenant_settings_plan_check;
       ALTER TABLE tenant_settings ALTER COLUMN plan SET DEFAULT 'free';`,
    );
    const tenants = { free: randomUUID(), standard: randomUUID(), enterprise: randomUUID() };
    for (const [plan, id] of Object.entries(tenants)) {
      await query(
        scratch.superUrl,
        `INSERT INTO tenants (id, slug, name, status, updated_at) VALUES ($1, $2, $2, 'active', now());
         `.trim(),
        [id, `old-${plan}-${id.slice(0, 8)}`],
      );
      await query(
        scratch.superUrl,
        `INSERT INTO tenant_settings (tenant_id, plan, limits, updated_at) VALUES ($1, $2, '{"maxStudents": 7}', now())`,
        [id, plan],
      );
    }

    const result = await migrate(scratch.adminUrl);
    expect(result.applied).toEqual([MIGRATION]);

    const rows = await query(scratch.superUrl, 'SELECT tenant_id, plan, limits FROM tenant_settings');
    const planOf = (id: string) => rows.find((r) => r.tenant_id === id);
    expect(planOf(tenants.free)).toMatchObject({ plan: 'basic', limits: { maxStudents: 7 } });
    expect(planOf(tenants.standard)).toMatchObject({ plan: 'premium' });
    expect(planOf(tenants.enterprise)).toMatchObject({ plan: 'enterprise' });

    await expect(
      query(scratch.superUrl, `UPDATE tenant_settings SET plan = 'free' WHERE tenant_id = $1`, [tenants.free]),
    ).rejects.toThrow(/tenant_settings_plan_check/);
    const [column] = await query(
      scratch.superUrl,
      `SELECT column_default FROM information_schema.columns WHERE table_name = 'tenant_settings' AND column_name = 'plan'`,
    );
    expect(column?.column_default).toContain('basic');
    // FORCE is back on after the rewrite (sql/03_security.sql runs after every migration run).
    const [forced] = await query(
      scratch.superUrl,
      `SELECT relforcerowsecurity FROM pg_class WHERE oid = 'public.tenant_settings'::regclass`,
    );
    expect(forced?.relforcerowsecurity).toBe(true);
  });
});
