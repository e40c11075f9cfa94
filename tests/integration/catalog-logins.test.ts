import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkIsolation, checkPlatformLogin, checkServerLogins } from '../../src/db/self-check.js';
import { assertIsolation } from '../../src/db/setup.js';
import { type FixtureLogin, loginFixtures } from '../support/login-fixtures.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

// Server logins broken on purpose, on a scratch database: stand-in roles with random names
// (the real logins are cluster-wide and shared with every other test file). Each one is shown
// to leak when used, and the start-up self-check, run as that login, refuses it.
const db = inject('db');
const [tenantA, tenantB] = [randomUUID(), randomUUID()];
let scratch: ScratchDatabase;
let fx: ReturnType<typeof loginFixtures>;
let runtime: pg.Pool;
let platform: pg.Pool;
let intruder: FixtureLogin;
let bypass: FixtureLogin;
let wide: string;
const pools: pg.Pool[] = [];

const poolOf = (url: string) => {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined); // DROP DATABASE ... WITH (FORCE) may kill a closing connection
  pools.push(pool);
  return pool;
};
const details = (problems: { check: string; detail: string }[], check: string) =>
  problems.filter((p) => p.check === check).map((p) => p.detail);

beforeAll(async () => {
  scratch = await createScratchDatabase(db, 'tenantry_logins');
  fx = loginFixtures(scratch, db.superUrl);
  runtime = poolOf(scratch.runtimeUrl);
  platform = poolOf(scratch.platformUrl);
  await fx.exec(`
    INSERT INTO tenants (id, slug, name) VALUES ('${tenantA}', 'logins-a', 'A'), ('${tenantB}', 'logins-b', 'B');
    INSERT INTO students (tenant_id, id, student_no, first_name, last_name)
      VALUES ('${tenantA}', gen_random_uuid(), 'A-1', 'Alice', 'A'), ('${tenantB}', gen_random_uuid(), 'B-1', 'Bob', 'B');`);
  wide = await fx.group('gate_wide');
  await fx.exec(`CREATE POLICY gate_wide ON students FOR SELECT TO ${wide} USING (true);
                 GRANT SELECT ON students TO ${wide}`);
  // A runtime login as an older install left it: a member of the platform login, and of a
  // role with a cross-tenant policy; plus grants the runtime login must never have.
  intruder = await fx.login('gate_runtime', 'NOSUPERUSER NOBYPASSRLS NOINHERIT');
  await fx.exec(`GRANT tenantry_platform, ${wide} TO ${intruder.name};
                 GRANT SELECT, INSERT ON platform_admins TO ${intruder.name};
                 GRANT SELECT, UPDATE, DELETE ON audit_log TO ${intruder.name};
                 GRANT TRUNCATE ON students TO ${intruder.name}`);
  bypass = await fx.login('gate_bypass', 'NOSUPERUSER BYPASSRLS NOINHERIT');
  await fx.exec(`GRANT SELECT ON students TO ${bypass.name};
                 GRANT INSERT ON platform_admins TO ${bypass.name};
                 GRANT UPDATE (payload) ON domain_events TO ${bypass.name}`);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await scratch?.drop();
  await fx?.dropRoles();
});

describe('a runtime login that can reach the platform plane', () => {
  it('when it is a member of the platform login or of a cross-tenant role, then SET ROLE reads every tenant', async () => {
    const c = await poolOf(intruder.url).connect();
    try {
      await c.query('SET ROLE tenantry_platform');
      const viaPlatform = await c.query('SELECT id FROM tenants WHERE id = ANY ($1)', [[tenantA, tenantB]]);
      expect(viaPlatform.rowCount).toBe(2);
      await c.query(`SET ROLE ${wide}`);
      expect((await c.query('SELECT DISTINCT tenant_id FROM students')).rowCount).toBe(2);
    } finally {
      await c.query('RESET ROLE');
      c.release();
    }
  });

  it('when the self-check runs as that login, then it names both memberships and the grants, and the server refuses to start', async () => {
    const intruderPool = poolOf(intruder.url);
    const problems = await checkIsolation(intruderPool);
    expect(details(problems, 'membership')).toEqual(
      expect.arrayContaining([
        'runtime role is a member of tenantry_platform (the platform login)',
        `runtime role is a member of ${wide} (named in a cross-tenant policy)`,
      ]),
    );
    expect(details(problems, 'privilege')).toEqual(
      expect.arrayContaining([
        'runtime login can TRUNCATE public.students (TRUNCATE skips row-level security)',
        'runtime login can UPDATE, DELETE public.audit_log, which is append-only',
        'runtime login can SELECT, INSERT public.platform_admins, which has no forced row-level security',
      ]),
    );
    const refused = await assertIsolation({ runtime: intruderPool, platform }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/^Refusing to start/);
    expect(refused).toContain('member of tenantry_platform');
  });

  it('when the self-check runs as the real logins of the same database, then the stand-in’s grants do not show', async () => {
    // Precise: the real runtime login is a member of neither role (only the stand-in is).
    const real = await checkIsolation(runtime);
    expect(details(real, 'membership')).toEqual([]);
    expect(details(real, 'privilege')).toEqual([]);
    expect(details(await checkPlatformLogin(platform), 'privilege')).toEqual([]);
  });
});

describe('a server login with BYPASSRLS', () => {
  it('when it reads a tenant table with no tenant set, then it sees every tenant', async () => {
    const { rows } = await poolOf(bypass.url).query('SELECT DISTINCT tenant_id FROM students');
    expect(rows.length).toBe(2);
  });

  it('when it is the platform login or the runtime login, then the self-check refuses it either way', async () => {
    const bypassPool = poolOf(bypass.url);
    const asPlatform = await checkServerLogins({ runtime, platform: bypassPool });
    expect(details(asPlatform, 'role')).toEqual(
      expect.arrayContaining([
        `platform login ${bypass.name} has BYPASSRLS`,
        `platform login is ${bypass.name}, but the policies and grants are written for tenantry_platform`,
      ]),
    );
    expect(details(asPlatform, 'privilege')).toEqual(
      expect.arrayContaining([
        'platform login can INSERT public.platform_admins (only the owner creates admins)',
        'platform login can UPDATE domain_events.payload',
      ]),
    );
    expect(details(await checkServerLogins({ runtime: bypassPool, platform }), 'role')).toContain(
      `runtime login ${bypass.name} has BYPASSRLS`,
    );
    await expect(assertIsolation({ runtime, platform: bypassPool })).rejects.toThrow(/has BYPASSRLS/);
    await expect(assertIsolation({ runtime: bypassPool, platform })).rejects.toThrow(/has BYPASSRLS/);
  });
});
