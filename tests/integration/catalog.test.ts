import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkIsolation, checkPlatformLogin, checkServerLogins } from '../../src/db/self-check.js';
import { assertIsolation } from '../../src/db/setup.js';
import {
  currentRoleFacts,
  multiplePermissivePolicies,
  ownedByCurrentRole,
  TENANT_EXPR,
  tenantTables,
  tenantTableViolations,
  unindexedForeignKeys,
} from '../support/catalog-invariants.js';
import { withPlacementLock } from '../support/placement-lock.js';

// Every query here runs as one of the server's logins (the runtime one unless said otherwise):
// what the application itself can see and do.
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
    await withPlacementLock(db.adminUrl, 'shared', async () => {
      expect(await tenantTableViolations(pool)).toEqual([]);
    });
  });

  it('when the tenant policies are read, then each is for the runtime login only, USING and WITH CHECK exactly the inlinable expression', async () => {
    const { rows } = await pool.query<{ table: string; roles: string[]; qual: string; with_check: string }>(
      `SELECT tablename AS table, roles::text[] AS roles, qual, with_check FROM pg_policies
        WHERE policyname = 'tenant_isolation' AND schemaname = 'public'`,
    );
    expect(rows.length).toBeGreaterThanOrEqual((await tenantTables(pool)).length);
    expect(
      rows.filter((r) => r.qual !== TENANT_EXPR || r.with_check !== TENANT_EXPR || r.roles.join() !== 'tenantry_app'),
    ).toEqual([]);
  });

  it('when policies are grouped by table, role and command, then no two permissive ones overlap (splinter multiple_permissive_policies)', async () => {
    expect(await multiplePermissivePolicies(pool)).toEqual([]);
    // Positive control: the real layout has a policy per login on every tenant table.
    const { rows } = await pool.query<{ roles: string }>(
      `SELECT string_agg(DISTINCT r, ',' ORDER BY r) AS roles FROM pg_policies, unnest(roles::text[]) r
        WHERE schemaname = 'public' AND tablename = 'students'`,
    );
    expect(rows[0]?.roles).toBe('tenantry_app,tenantry_platform');
  });

  it('when the cross-tenant policies are listed, then each is platform_all for the platform login alone', async () => {
    const { rows } = await pool.query<{ table: string; policy: string; roles: string[] }>(
      `SELECT tablename AS table, policyname AS policy, roles::text[] AS roles FROM pg_policies
        WHERE schemaname = 'public' AND NOT (coalesce(qual, '') IN ($1, '(id = app.current_tenant_id())')
                                             AND coalesce(with_check, $1) = $1)
        ORDER BY 1`,
      [TENANT_EXPR],
    );
    expect(rows.length).toBeGreaterThanOrEqual((await tenantTables(pool)).length + 1);
    expect(rows.filter((r) => r.policy !== 'platform_all' || r.roles.join() !== 'tenantry_platform')).toEqual([]);
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

  it('when the runtime login is inspected, then it is not superuser, has no BYPASSRLS and is no member of the platform login or the owner', async () => {
    expect(await currentRoleFacts(pool)).toMatchObject({
      rolname: 'tenantry_app',
      rolsuper: false,
      rolbypassrls: false,
      rolcanlogin: true,
      inherits_platform: false,
      member_of_platform: false,
      member_of_owner: false,
    });
  });

  it('when the platform login is inspected, then it is a login of its own: not superuser, no BYPASSRLS, no member of the owner', async () => {
    expect(await currentRoleFacts(platform)).toMatchObject({
      rolname: 'tenantry_platform',
      rolsuper: false,
      rolbypassrls: false,
      rolinherit: false,
      rolcanlogin: true,
      member_of_owner: false,
    });
    expect(await ownedByCurrentRole(platform)).toEqual([]);
  });

  it('when every foreign key is listed, then each has an index leading with its columns', async () => {
    expect(await unindexedForeignKeys(pool)).toEqual([]);
  });

  it('when ownership is listed, then the runtime role owns no relation, function, schema or type', async () => {
    expect(await ownedByCurrentRole(pool)).toEqual([]);
  });

  it('when the start-up self-check runs on the real database with both logins, then it reports no problem and does not throw', async () => {
    await withPlacementLock(db.adminUrl, 'shared', async () => {
      expect(await checkIsolation(pool)).toEqual([]);
      expect(await checkPlatformLogin(platform)).toEqual([]);
      expect(await checkServerLogins({ runtime: pool, platform })).toEqual([]);
      await expect(assertIsolation({ runtime: pool, platform })).resolves.toBeUndefined();
    });
  });

  it('when the two logins are swapped or the same, then the self-check names the login that is not what the grants are written for', async () => {
    const swapped = await checkServerLogins({ runtime: platform, platform: pool });
    expect(swapped.map((p) => p.detail)).toEqual(
      expect.arrayContaining([
        'runtime login is tenantry_platform, but the policies and grants are written for tenantry_app',
        'platform login is tenantry_app, but the policies and grants are written for tenantry_platform',
      ]),
    );
    const same = await checkServerLogins({ runtime: pool, platform: pool });
    expect(same.map((p) => p.detail)).toContain(
      'platform login is tenantry_app, but the policies and grants are written for tenantry_platform',
    );
  });
});
