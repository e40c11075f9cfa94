import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The schema stays distributable by tenant_id on Citus (DESIGN, "Beyond one machine"), checked
// on every PostgreSQL the suite runs on, so a migration cannot bring back what Citus refuses.
const db = inject('db');
let pool: pg.Pool;
beforeAll(() => {
  pool = new pg.Pool({ connectionString: db.runtimeUrl, max: 1 });
});
afterAll(() => pool.end());

describe('a schema Citus can distribute', () => {
  it('when foreign keys include tenant_id, then none has an ON UPDATE action', async () => {
    const { rows } = await pool.query<{ name: string; action: string }>(
      `SELECT c.conname AS name, c.confupdtype AS action
         FROM pg_constraint c
         JOIN pg_namespace n ON n.oid = c.connamespace
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND n.nspname = 'public' AND a.attname = 'tenant_id'
        ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((r) => r.action !== 'a')).toEqual([]);
  });

  it('when tables are read, then no column is of an enum type (Prisma returns enums cast to text, which Citus refuses in RETURNING)', async () => {
    const { rows } = await pool.query<{ col: string }>(
      `SELECT c.relname || '.' || a.attname AS col
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
          AND t.typtype = 'e'`,
    );
    expect(rows).toEqual([]);
  });

  it('when a status or role outside the allowed values is written, then the CHECK constraint refuses it', async () => {
    const { rows } = await pool.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conname IN ('tenants_status_check', 'users_role_check')
          AND conrelid IN ('public.tenants'::regclass, 'public.users'::regclass) ORDER BY conname`,
    );
    expect(rows.map((r) => r.def)).toEqual([
      expect.stringMatching(/status.*'active'.*'suspended'/),
      expect.stringMatching(/role.*'tenant_admin'.*'staff'.*'viewer'/),
    ]);
  });
});
