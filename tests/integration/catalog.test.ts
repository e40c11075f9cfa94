import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkIsolation } from '../../src/db/self-check.js';
import { assertIsolation } from '../../src/db/setup.js';
import {
  currentRoleFacts,
  ownedByCurrentRole,
  TENANT_EXPR,
  tenantTables,
  tenantTableViolations,
  unindexedForeignKeys,
} from '../support/catalog-invariants.js';

// Every query here runs as the runtime role: what the application itself can see and do.
const db = inject('db');
let pool: pg.Pool;
let platform: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: db.runtimeUrl, max: 2 });
  platform = new pg.Pool({ connectionString: db.platformUrl, max: 2 });
});
afterAll(() => Promise.all([pool.end(), platform.end()]));

describe('catalog invariant (as the runtime role)', () => {
  it('when the schema is migrated, then the known tenant tables are all found by the catalog scan', async () => {
    const names = (await tenantTables(pool)).map((t) => `${t.schema}.${t.name}`);
    // A floor, not the full list: a new table must be picked up without editing this test.
    for (const t of ['users', 'students', 'courses', 'enrollments', 'domain_events', 'audit_log', 'tenant_settings']) {
      expect(names).toContain(`public.${t}`);
    }
  });

  it('when every table with tenant_id is inspected, then each has RLS enabled, forced and the exact tenant policy', async () => {
    expect(await tenantTableViolations(pool)).toEqual([]);
  });

  it('when the tenant policies are read, then USING and WITH CHECK are exactly the inlinable expression', async () => {
    const { rows } = await pool.query<{ table: string; qual: string; with_check: string }>(
      `SELECT tablename AS table, qual, with_check FROM pg_policies
        WHERE policyname = 'tenant_isolation' AND 'public' = ANY (roles)`,
    );
    expect(rows.length).toBeGreaterThanOrEqual((await tenantTables(pool)).length);
    expect(rows.filter((r) => r.qual !== TENANT_EXPR || r.with_check !== TENANT_EXPR)).toEqual([]);
  });

  it('when app.current_tenant_id() is read from pg_proc, then it is LANGUAGE sql, STABLE and not SECURITY DEFINER', async () => {
    const { rows } = await pool.query<{ lang: string; volatile: string; secdef: boolean; leakproof: boolean }>(
      `SELECT l.lanname AS lang, p.provolatile AS volatile, p.prosecdef AS secdef, p.proleakproof AS leakproof
         FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace
         JOIN pg_language l ON l.oid = p.prolang
        WHERE n.nspname = 'app' AND p.proname = 'current_tenant_id' AND p.pronargs = 0`,
    );
    expect(rows).toEqual([{ lang: 'sql', volatile: 's', secdef: false, leakproof: false }]);
  });

  it('when the runtime role is inspected, then it is not superuser, has no BYPASSRLS and does not inherit the platform role', async () => {
    const me = await currentRoleFacts(pool);
    expect(me).toMatchObject({
      rolname: 'tenantry_app',
      rolsuper: false,
      rolbypassrls: false,
      inherits_platform: false,
      member_of_owner: false,
    });
    // The platform plane is a login of its own: nothing to switch to.
    expect(me.member_of_platform).toBe(false);
  });

  it('when every foreign key is listed, then each has an index leading with its columns', async () => {
    expect(await unindexedForeignKeys(pool)).toEqual([]);
  });

  it('when ownership is listed, then the runtime role owns no relation, function, schema or type', async () => {
    expect(await ownedByCurrentRole(pool)).toEqual([]);
  });

  it('when the start-up self-check runs on the real database, then it reports no problem and does not throw', async () => {
    expect(await checkIsolation(pool)).toEqual([]);
    await expect(assertIsolation({ runtime: pool, platform })).resolves.toBeUndefined();
  });
});
