import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkSideDoors, type SideDoorProblem } from '../../src/db/catalog-gate.js';
import { checkIsolation } from '../../src/db/self-check.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { column, inTenant, sideDoorFixture } from '../support/side-door-fixtures.js';

// Each side door of DESIGN.md invariant 9 is opened in a separate scratch database (never the
// shared one), shown to leak when read as the runtime role, and shown to be reported by the
// gate, which itself runs as the runtime role. Sound twins prove the gate is precise.
const db = inject('db');
const fx = sideDoorFixture();
const superuser = new URL(db.superUrl).username || 'postgres';
let scratch: ScratchDatabase;
let runtime: pg.Pool;
let problems: SideDoorProblem[];

beforeAll(async () => {
  scratch = await createScratchDatabase(db, 'tenantry_gate');
  await scratch.exec('super', fx.asSuper);
  await scratch.exec('owner', fx.asOwner);
  runtime = new pg.Pool({ connectionString: scratch.runtimeUrl, max: 3 });
  // pool.end() resolves before its sockets close; DROP DATABASE ... WITH (FORCE) may then kill
  // a closing connection, whose FATAL must not surface as an unhandled error.
  runtime.on('error', () => undefined);
  problems = await checkSideDoors(runtime);
});

afterAll(async () => {
  await runtime?.end();
  await scratch?.drop();
  await fx.dropRoles(db.superUrl);
});

const reported = (check: string) => problems.filter((p) => p.check === check).map((p) => p.detail);

const asTenant = <T>(tenant: string, fn: (c: pg.PoolClient) => Promise<T>, end?: string) =>
  inTenant(runtime, tenant, fn, end);

describe('extended catalog gate', () => {
  it('when the gate runs on the migrated test database as the runtime role, then it reports nothing', async () => {
    const pool = new pg.Pool({ connectionString: db.runtimeUrl, max: 1 });
    try {
      expect(await checkSideDoors(pool)).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('when a granted partition lacks its own policy, then reading it directly leaks B and the gate names only it', async () => {
    const seen = await asTenant(fx.tenantA, async (c) => ({
      parent: new Set(await column(c, 'SELECT tenant_id FROM gate_parted')),
      open: new Set(await column(c, 'SELECT tenant_id FROM gate_parted_open')),
      safe: new Set(await column(c, 'SELECT tenant_id FROM gate_parted_safe')),
    }));
    expect(seen).toEqual({
      parent: new Set([fx.tenantA]),
      open: new Set([fx.tenantA, fx.tenantB]),
      safe: new Set([fx.tenantA]),
    });
    // gate_parted_hidden is just as bare but not granted: unreachable, so not a side door.
    expect(reported('partition')).toEqual([
      'public.gate_parted_open: partition usable by the runtime role lacks its own RLS, FORCE, the tenant policy',
    ]);
  });

  it('when views lack security_invoker, then they leak rows or whole tables and the gate names each', async () => {
    const seen = await asTenant(fx.tenantA, async (c) => ({
      superView: new Set(await column(c, 'SELECT tenant_id FROM gate_students_super_view')),
      matView: new Set(await column(c, 'SELECT tenant_id FROM gate_students_mat')),
      invoker: new Set(await column(c, 'SELECT tenant_id FROM gate_students_invoker')),
      // Owned by the owner, whom FORCE still binds and no policy names: no rows, yet still a definer view.
      ownerView: new Set(await column(c, 'SELECT tenant_id FROM gate_students_owner_view')),
      admins: await column(c, 'SELECT email FROM gate_admins_view'),
      // Last: the refusal aborts the transaction.
      adminsDirect: await c.query('SELECT email FROM platform_admins').catch((e: { code?: string }) => e.code),
    }));
    expect(seen).toEqual({
      superView: new Set([fx.tenantA, fx.tenantB]),
      matView: new Set([fx.tenantA, fx.tenantB]),
      invoker: new Set([fx.tenantA]),
      ownerView: new Set(),
      admins: ['root@gate.test'],
      adminsDirect: '42501',
    });
    expect(reported('view')).toEqual([
      'public.gate_admins_view: view usable by the runtime role lacks security_invoker',
      'public.gate_students_mat: materialized view (no RLS) usable by the runtime role',
      `public.gate_students_mat: owned by ${superuser}, who bypasses RLS`,
      'public.gate_students_owner_view: view usable by the runtime role lacks security_invoker',
      'public.gate_students_super_view: view usable by the runtime role lacks security_invoker',
      `public.gate_students_super_view: owned by ${superuser}, who bypasses RLS`,
    ]);
  });

  it('when a SECURITY DEFINER function owned by the superuser counts students, then A sees all tenants and the gate reports it', async () => {
    const seen = await asTenant(fx.tenantA, async (c) => ({
      own: Number((await column(c, 'SELECT count(*) FROM students'))[0]),
      viaFunction: Number((await column(c, 'SELECT gate_count_students()'))[0]),
    }));
    expect(seen.viaFunction).toBeGreaterThan(seen.own);
    expect(reported('security-definer')).toEqual([
      'public.gate_count_students(): SECURITY DEFINER, executable by the runtime role, not reviewed',
      `public.gate_count_students(): SECURITY DEFINER owned by ${superuser}, who bypasses RLS`,
      'public.gate_reviewed(): SECURITY DEFINER, executable by the runtime role, not reviewed',
      'public.gate_unpinned(): SECURITY DEFINER, executable by the runtime role, not reviewed',
      'public.gate_unpinned(): SECURITY DEFINER without a pinned search_path',
    ]);
  });

  it('when SECURITY DEFINER functions are on the reviewed list, then a bypassing owner or an unpinned search_path is still reported', async () => {
    const reviewed = ['public.gate_count_students()', 'public.gate_reviewed()', 'public.gate_unpinned()'];
    const details = (await checkSideDoors(runtime, reviewed)).filter((p) => p.check === 'security-definer');
    expect(details.map((p) => p.detail)).toEqual([
      `public.gate_count_students(): SECURITY DEFINER owned by ${superuser}, who bypasses RLS`,
      'public.gate_unpinned(): SECURITY DEFINER without a pinned search_path',
    ]);
  });

  it('when a SECURITY DEFINER trigger fires on A’s insert, then it writes into B’s audit log and the gate reports the trigger', async () => {
    await asTenant(
      fx.tenantA,
      (c) =>
        c.query(`INSERT INTO courses (tenant_id, id, code, title) VALUES ($1, gen_random_uuid(), 'G-1', 'Gate')`, [
          fx.tenantA,
        ]),
      'COMMIT',
    );
    const inB = await asTenant(fx.tenantB, (c) =>
      column(c, `SELECT action FROM audit_log WHERE action = 'gate-fan-out'`),
    );
    expect(inB).toEqual(['gate-fan-out']);
    expect(reported('trigger')).toEqual([
      'gate_fan_out_trg on public.courses: trigger function gate_fan_out() is SECURITY DEFINER',
    ]);
  });

  it('when a user function is LEAKPROOF, then the planner runs it on B’s rows before the policy and the gate reports it', async () => {
    const notices: string[] = [];
    await asTenant(fx.tenantA, async (c) => {
      const listen = (n: { message?: string }) => notices.push(n.message ?? '');
      c.on('notice', listen);
      try {
        // As the planner picks for a tenant with many rows: a scan filtered by the policy.
        await c.query('SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off');
        await c.query('SELECT count(*) FROM students WHERE gate_peek(first_name)');
      } finally {
        c.off('notice', listen);
      }
    });
    expect(notices).toContain('gate_peek Bob-secret');
    expect(reported('leakproof')).toEqual(['public.gate_peek(text): user function marked LEAKPROOF']);
  });

  it('when the runtime role is indirectly a member of a table owner, then SET ROLE reads every tenant and the gate reports it', async () => {
    const c = await runtime.connect();
    try {
      await c.query(`SET ROLE ${fx.ownerRole}`);
      expect(Number((await column(c, 'SELECT count(*) FROM gate_owned'))[0])).toBe(2);
    } finally {
      await c.query('RESET ROLE');
      c.release();
    }
    expect(reported('membership')).toEqual([`runtime role is a member of ${fx.ownerRole} (owner of tenant tables)`]);
  });

  it('when a large object holds tenant data, then another tenant’s request reads it and the gate reports it', async () => {
    const read = await asTenant(fx.tenantA, (c) =>
      column(c, `SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata`),
    );
    expect(read).toEqual(['tenant B secret']);
    expect(reported('large-object')).toEqual([
      expect.stringMatching(/^large object \d+ \(owner tenantry_owner\) exists$/),
    ]);
  });

  it('when a trigger notifies with a student’s name, then a listener in another session receives it and the gate reports it', async () => {
    const listener = await runtime.connect();
    try {
      const received = new Promise<string | undefined>((resolve) => {
        listener.on('notification', (n) => resolve(n.payload));
        setTimeout(() => resolve(undefined), 3000).unref();
      });
      await listener.query('LISTEN gate_students');
      await asTenant(
        fx.tenantA,
        (c) =>
          c.query(
            `INSERT INTO students (tenant_id, id, student_no, first_name, last_name)
                        VALUES ($1, gen_random_uuid(), 'A-2', 'A-private', 'A')`,
            [fx.tenantA],
          ),
        'COMMIT',
      );
      expect(await received).toBe('A-private');
    } finally {
      await listener.query('UNLISTEN *');
      listener.release();
    }
    expect(reported('notify')).toEqual([
      expect.stringMatching(/^public\.gate_notify_atomic\(p uuid\): pg_notify payload .*\|\|.* is not an id$/),
      'public.gate_notify_json(): pg_notify payload row_to_json(NEW)::text is not an id',
      'public.gate_notify_name(): pg_notify payload NEW.first_name is not an id',
      'public.gate_notify_static(): NOTIFY gate_static carries a payload',
    ]);
  });

  it('when the start-up self-check runs on the broken database, then it includes every side-door category', async () => {
    const checks = new Set((await checkIsolation(runtime)).map((p) => p.check));
    for (const check of [
      'partition',
      'view',
      'security-definer',
      'trigger',
      'leakproof',
      'membership',
      'large-object',
      'notify',
    ])
      expect(checks).toContain(check);
  });
});
