import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { checkIsolation } from '../../src/db/self-check.js';
import { assertIsolation } from '../../src/db/setup.js';
import { tenantTableViolations, unindexedForeignKeys } from '../support/catalog-invariants.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

// A separate database broken on purpose (never the shared one: other files run against it in
// parallel). The checks themselves still connect as the runtime role, except the one that
// proves a superuser runtime connection is refused.
const BREAK = `
  CREATE TABLE rogue_plain (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));

  CREATE TABLE rogue_unforced (tenant_id uuid NOT NULL, id uuid NOT NULL);
  ALTER TABLE rogue_unforced ENABLE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON rogue_unforced TO tenantry_app
    USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id());

  CREATE TABLE rogue_or (tenant_id uuid, id uuid NOT NULL);
  ALTER TABLE rogue_or ENABLE ROW LEVEL SECURITY;
  ALTER TABLE rogue_or FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON rogue_or
    USING (tenant_id = app.current_tenant_id() OR tenant_id IS NULL)
    WITH CHECK (tenant_id = app.current_tenant_id() OR tenant_id IS NULL);

  CREATE TABLE rogue_widened (tenant_id uuid NOT NULL, id uuid NOT NULL);
  ALTER TABLE rogue_widened ENABLE ROW LEVEL SECURITY;
  ALTER TABLE rogue_widened FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON rogue_widened TO tenantry_app
    USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id());
  CREATE POLICY widen ON rogue_widened FOR SELECT USING (true);
  GRANT SELECT ON rogue_widened TO tenantry_app;

  -- The exact expression, but for PUBLIC: it binds every role, the runtime login included, yet
  -- it is not the policy the grants are written for (and would be a second permissive one).
  CREATE TABLE rogue_public (tenant_id uuid NOT NULL, id uuid NOT NULL);
  ALTER TABLE rogue_public ENABLE ROW LEVEL SECURITY;
  ALTER TABLE rogue_public FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON rogue_public
    USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id());

  -- A cross-tenant policy shared with the runtime login.
  CREATE TABLE rogue_shared (tenant_id uuid NOT NULL, id uuid NOT NULL);
  ALTER TABLE rogue_shared ENABLE ROW LEVEL SECURITY;
  ALTER TABLE rogue_shared FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON rogue_shared TO tenantry_app
    USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id());
  CREATE POLICY platform_all ON rogue_shared TO tenantry_platform, tenantry_app USING (true) WITH CHECK (true);
  GRANT SELECT ON rogue_shared TO tenantry_app;

  CREATE TABLE rogue_parted (tenant_id uuid NOT NULL, id uuid NOT NULL) PARTITION BY HASH (tenant_id);
  ALTER TABLE rogue_parted ENABLE ROW LEVEL SECURITY;
  ALTER TABLE rogue_parted FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON rogue_parted TO tenantry_app
    USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id());
  CREATE TABLE rogue_parted_p0 PARTITION OF rogue_parted FOR VALUES WITH (MODULUS 1, REMAINDER 0);

  CREATE SCHEMA side;
  CREATE TABLE side.rogue_elsewhere (tenant_id uuid NOT NULL, note text);

  ALTER TABLE students DISABLE ROW LEVEL SECURITY;

  CREATE TABLE rogue_fk (tenant_id uuid NOT NULL, id uuid NOT NULL, student_id uuid NOT NULL, course_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, student_id) REFERENCES students (tenant_id, id),
    FOREIGN KEY (tenant_id, course_id) REFERENCES courses (tenant_id, id));
  CREATE INDEX rogue_fk_course_first ON rogue_fk (course_id, tenant_id, id);
`;

const db = inject('db');
let scratch: ScratchDatabase;
let runtime: pg.Pool;
let platform: pg.Pool;

beforeAll(async () => {
  scratch = await createScratchDatabase(db);
  await scratch.exec('owner', BREAK);
  // Giving an object to the runtime role needs a superuser.
  await scratch.exec(
    'super',
    `CREATE TABLE owned_by_app (id int); ALTER TABLE owned_by_app OWNER TO tenantry_app;
     INSERT INTO rogue_widened VALUES (gen_random_uuid(), gen_random_uuid()), (gen_random_uuid(), gen_random_uuid());
     INSERT INTO rogue_shared VALUES (gen_random_uuid(), gen_random_uuid()), (gen_random_uuid(), gen_random_uuid());`,
  );
  runtime = new pg.Pool({ connectionString: scratch.runtimeUrl, max: 2 });
  platform = new pg.Pool({ connectionString: scratch.platformUrl, max: 2 });
});

afterAll(async () => {
  await Promise.all([runtime?.end(), platform?.end()]);
  await scratch?.drop();
});

const details = (problems: { check: string; detail: string }[], check: string) =>
  problems.filter((p) => p.check === check).map((p) => p.detail);

describe('isolation checks on a deliberately broken database', () => {
  it('when tables lack RLS, FORCE or the exact policy, then checkIsolation reports each of them', async () => {
    const rls = details(await checkIsolation(runtime), 'rls');
    expect(rls).toEqual(
      expect.arrayContaining([
        'rogue_plain: row level security is not enabled',
        'rogue_plain: row level security is not forced',
        expect.stringMatching(/^rogue_plain: no tenant policy/),
        'rogue_unforced: row level security is not forced',
        expect.stringMatching(/^rogue_or: no tenant policy/),
        'rogue_parted_p0: row level security is not enabled',
        expect.stringMatching(/^rogue_parted_p0: no tenant policy/),
        'rogue_elsewhere: row level security is not enabled',
        'students: row level security is not enabled',
      ]),
    );
    // Precise, not just noisy: sound tables are not reported, half-sound ones only for what they lack.
    expect(rls.filter((d) => /^(rogue_parted|users|courses):/.test(d))).toEqual([]);
    expect(rls.filter((d) => d.startsWith('rogue_unforced:'))).toEqual([
      'rogue_unforced: row level security is not forced',
    ]);
  });

  it('when the runtime role owns a table, then checkIsolation reports the ownership', async () => {
    expect(details(await checkIsolation(runtime), 'ownership')).toContain('runtime role owns relation owned_by_app');
  });

  it('when the runtime connection is a superuser, then checkIsolation reports a role problem', async () => {
    const su = new pg.Client({ connectionString: scratch.superUrl });
    await su.connect();
    try {
      expect(details(await checkIsolation(su), 'role')).toEqual(
        expect.arrayContaining([expect.stringMatching(/is a superuser$/), expect.stringMatching(/has BYPASSRLS$/)]),
      );
    } finally {
      await su.end();
    }
  });

  it('when a tenant policy is for PUBLIC, or a cross-tenant policy also names the runtime login, then checkIsolation reports each', async () => {
    const rls = details(await checkIsolation(runtime), 'rls');
    expect(rls).toEqual(
      expect.arrayContaining([
        'rogue_public: no tenant policy (tenant_id = app.current_tenant_id()) TO tenantry_app',
        expect.stringMatching(/^rogue_public: extra permissive policy tenant_isolation /),
        expect.stringMatching(/^rogue_shared: extra permissive policy platform_all /),
      ]),
    );
    expect(rls.filter((d) => d.startsWith('rogue_shared: no tenant policy'))).toEqual([]);
    // The runtime login reads every tenant's rows through the shared cross-tenant policy.
    const client = await runtime.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL app.current_tenant_id = '00000000-0000-7000-8000-000000000001'`);
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM rogue_shared');
      expect(rows[0]!.n).toBe(2);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('when a tenant table has the exact policy plus another permissive one, then checkIsolation reports it (rows do leak)', async () => {
    const client = await runtime.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL app.current_tenant_id = '00000000-0000-7000-8000-000000000001'`);
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM rogue_widened');
      expect(rows[0]!.n).toBe(2); // neither row is this tenant's: the extra policy is an OR
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const reported = details(await checkIsolation(runtime), 'rls').filter((d) => d.startsWith('rogue_widened:'));
    expect(reported, 'src/db/self-check.ts must flag permissive policies other than the tenant one').not.toEqual([]);
  });

  it('when assertIsolation runs on the broken database, then it throws a message naming each broken table', async () => {
    const err = await assertIsolation({ runtime, platform }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^Refusing to start: the database does not enforce tenant isolation/);
    for (const t of [
      'rogue_plain',
      'rogue_unforced',
      'rogue_or',
      'rogue_parted_p0',
      'rogue_elsewhere',
      'owned_by_app',
    ]) {
      expect(err?.message).toContain(t);
    }
  });

  it('when the test suite’s own catalog scan runs on the broken database, then it names every broken table too', async () => {
    const violations = await tenantTableViolations(runtime);
    expect(violations).toEqual(
      expect.arrayContaining([
        'public.rogue_plain: row level security not enabled',
        'public.rogue_unforced: row level security not forced',
        'public.rogue_or: policy tenant_isolation for PUBLIC contains OR',
        expect.stringMatching(/^public\.rogue_or: permissive policy tenant_isolation reachable by the runtime role/),
        'public.rogue_parted_p0: row level security not enabled',
        'side.rogue_elsewhere: row level security not enabled',
        'public.students: row level security not enabled',
        expect.stringMatching(/^public\.rogue_widened: permissive policy widen reachable by the runtime role/),
      ]),
    );
    expect(violations.filter((v) => /^public\.(users|courses|rogue_parted):/.test(v))).toEqual([]);
  });
});

describe('foreign keys without an index', () => {
  it('when a foreign key has no index leading with its columns, then the catalog scan names it and only it', async () => {
    // (tenant_id, course_id) is served by an index leading (course_id, tenant_id); (tenant_id,
    // student_id) only by the primary key's first column, which is not enough.
    expect(await unindexedForeignKeys(runtime)).toEqual([
      'rogue_fk: foreign key rogue_fk_tenant_id_student_id_fkey (tenant_id, student_id) has no index leading with its columns',
    ]);
  });
});

describe('re-applying sql/ after migrations', () => {
  it('when migrations run again, then public tables are re-secured but a table in another schema stays reported', async () => {
    const other = await createScratchDatabase(db);
    const pool = new pg.Pool({ connectionString: other.runtimeUrl, max: 1 });
    try {
      await other.exec('owner', BREAK);
      expect((await checkIsolation(pool)).length).toBeGreaterThan(0);
      await migrate(other.adminUrl);
      const remaining = (await checkIsolation(pool)).map((p) => p.detail);
      const resecured = /^(rogue_plain|rogue_unforced|rogue_or|rogue_parted_p0|students):/;
      expect(remaining.filter((d) => resecured.test(d))).toEqual([]);
      expect(remaining).toEqual(
        expect.arrayContaining([
          'rogue_elsewhere: row level security is not enabled',
          'rogue_elsewhere: row level security is not forced',
          'rogue_elsewhere: no tenant policy (tenant_id = app.current_tenant_id()) TO tenantry_app',
        ]),
      );
    } finally {
      await pool.end();
      await other.drop();
    }
  });
});
