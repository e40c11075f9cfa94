import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensurePlatformAdmin } from '../../src/db/platform-admins.js';
import { newId } from '../../src/domain/ids.js';
import { hashPassword, verifyPassword } from '../../src/services/passwords.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { asPlatform, deleteAndPurge, eventually } from '../support/http-fixtures.js';
import { attempt, runtimeClient } from '../support/sql-runtime.js';

// The platform plane is a login of its own (DESIGN.md invariants 5 and 10): SQL sent as the
// runtime login cannot reach it, and neither login can rewrite history or create platform
// admins. Every assertion connects as the login under test, never as a superuser.
let h: Harness;
let a: TestTenant;
let b: TestTenant;
let client: pg.Client;
const DENIED = '42501';

beforeAll(async () => {
  h = await createHarness();
  [a, b] = await Promise.all([h.createTenant(), h.createTenant()]);
  // TenantCreated is delivered into each tenant's audit log: rows to try to rewrite.
  await h.dispatcher.drain();
  // A platform refresh token exists (the harness logged its admin in).
});
afterAll(() => h?.close());

const codes = async (sqls: string[], params: unknown[] = []) => {
  const out: Record<string, string | undefined> = {};
  for (const sql of sqls) out[sql] = (await attempt(client, sql, params)).code;
  return out;
};
const allDenied = (sqls: string[]) => Object.fromEntries(sqls.map((s) => [s, DENIED]));
/** A statement that went through: no SQLSTATE, and how many rows it touched. */
const done = async (sql: string, params: unknown[] = []) => {
  const { code, rowCount } = await attempt(client, sql, params);
  return { sql, code, rowCount };
};
const publicTables = async () =>
  (
    await client.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    )
  ).rows.map((r) => r.name);

describe('as the runtime login in SQL', () => {
  beforeEach(async () => {
    client = await runtimeClient(h.db.runtimeUrl);
    await client.query('BEGIN');
  });
  afterEach(async () => {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  });

  it('when it tries SET ROLE to the platform login, then it is refused, with or without a tenant context', async () => {
    const sqls = ['SET ROLE tenantry_platform', 'SET LOCAL ROLE tenantry_platform'];
    expect(await codes(sqls)).toEqual(allDenied(sqls));
    await client.query('SELECT app.begin_request($1, $2)', [a.id, a.adminId]);
    if (h.db.citus) {
      // On Citus a SET LOCAL in a transaction that already reached the workers is sent to them
      // as well; a refusal there ends that worker connection, and Citus reports the loss of it.
      for (const sql of sqls) {
        const r = await attempt(client, sql);
        const refused = r.code === DENIED || /failure on connection marked as essential/.test(r.message ?? '');
        expect({ sql, refused, message: r.message }).toEqual({ sql, refused: true, message: r.message });
      }
    } else expect(await codes(sqls)).toEqual(allDenied(sqls));
    expect((await client.query('SELECT current_user AS u')).rows).toEqual([{ u: 'tenantry_app' }]);
  });

  it('when it reads or writes platform_admins or platform_refresh_tokens, then every statement is refused', async () => {
    const sqls = [
      'SELECT count(*) FROM platform_admins',
      `INSERT INTO platform_admins (id, email, name, password_hash) VALUES (gen_random_uuid(), 'x@evil.test', 'X', 'h')`,
      `UPDATE platform_admins SET password_hash = 'h'`,
      'DELETE FROM platform_admins',
      'SELECT count(*) FROM platform_refresh_tokens',
      `UPDATE platform_refresh_tokens SET revoked_at = now()`,
      `INSERT INTO platform_refresh_tokens (id, admin_id, family_id, token_hash, expires_at)
         VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'h', now())`,
      'DELETE FROM platform_refresh_tokens',
    ];
    expect(await codes(sqls)).toEqual(allDenied(sqls));
    await client.query('SELECT app.begin_request($1, $2)', [a.id, a.adminId]);
    expect(await codes(sqls)).toEqual(allDenied(sqls));
  });

  it('when it rewrites its own tenant’s audit log, then UPDATE, DELETE and TRUNCATE are refused while reading and appending work', async () => {
    await client.query('SELECT app.begin_request($1, $2)', [a.id, a.adminId]);
    // Control: the rows are there and visible, so a refusal is the privilege, not the policy.
    expect(Number((await client.query('SELECT count(*) AS n FROM audit_log')).rows[0].n)).toBeGreaterThan(0);
    const append = `INSERT INTO audit_log (tenant_id, id, action) VALUES ($1, $2, 'test.append')`;
    expect(await done(append, [a.id, newId()])).toEqual({ sql: append, code: undefined, rowCount: 1 });
    const sqls = [`UPDATE audit_log SET action = 'rewritten'`, 'DELETE FROM audit_log', 'TRUNCATE audit_log'];
    expect(await codes(sqls)).toEqual(allDenied(sqls));
  });

  it('when it truncates any table, or calls the platform context function, then it is refused', async () => {
    const sqls = (await publicTables()).map((t) => `TRUNCATE ${t}`);
    expect(sqls.length).toBeGreaterThan(8);
    expect(await codes(sqls)).toEqual(allDenied(sqls));
    expect((await attempt(client, 'SELECT app.begin_platform(NULL)')).code).toBe(DENIED);
  });
});

describe('as the platform login in SQL', () => {
  beforeEach(async () => {
    client = await runtimeClient(h.db.platformUrl);
    await client.query('BEGIN');
    await client.query('SELECT app.begin_platform($1)', [h.platformAdminId]);
  });
  afterEach(async () => {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  });

  it('when begin_platform runs, then it records the acting admin transaction-locally and switches no role', async () => {
    expect(
      (await client.query(`SELECT current_user AS u, session_user AS s, app.current_user_id() AS admin`)).rows,
    ).toEqual([{ u: 'tenantry_platform', s: 'tenantry_platform', admin: h.platformAdminId }]);
    await client.query('COMMIT');
    expect((await client.query('SELECT app.current_user_id() AS admin')).rows).toEqual([{ admin: null }]);
    await client.query('BEGIN');
  });

  it('when it rewrites the audit log, then UPDATE, DELETE and TRUNCATE are refused while every tenant’s entries are readable', async () => {
    const seen = await client.query('SELECT DISTINCT tenant_id FROM audit_log WHERE tenant_id = ANY ($1)', [
      [a.id, b.id],
    ]);
    expect(seen.rowCount).toBe(2);
    const sqls = [`UPDATE audit_log SET action = 'rewritten'`, 'DELETE FROM audit_log', 'TRUNCATE audit_log'];
    expect(await codes(sqls)).toEqual(allDenied(sqls));
  });

  it('when it writes platform_admins, then INSERT, UPDATE and DELETE are refused; it may only read them', async () => {
    expect(Number((await client.query('SELECT count(*) AS n FROM platform_admins')).rows[0].n)).toBeGreaterThan(0);
    const sqls = [
      `INSERT INTO platform_admins (id, email, name, password_hash) VALUES (gen_random_uuid(), 'x@evil.test', 'X', 'h')`,
      `UPDATE platform_admins SET password_hash = 'h' WHERE id = '${h.platformAdminId}'`,
      `DELETE FROM platform_admins WHERE id = '${h.platformAdminId}'`,
    ];
    expect(await codes(sqls)).toEqual(allDenied(sqls));
  });

  it('when it updates an event, then only its delivery columns can change', async () => {
    const event = (
      await client.query<{ tenant_id: string; id: string }>(
        'SELECT tenant_id, id FROM domain_events WHERE tenant_id = $1 LIMIT 1',
        [a.id],
      )
    ).rows[0]!;
    const where = 'WHERE tenant_id = $1 AND id = $2';
    const params = [event.tenant_id, event.id];
    for (const set of [`payload = '{}'`, `type = 'Forged'`, `occurred_at = now()`])
      expect({ set, code: (await attempt(client, `UPDATE domain_events SET ${set} ${where}`, params)).code }).toEqual({
        set,
        code: DENIED,
      });
    // On Citus nobody may change the distribution column (Citus refuses it before the grant is looked at).
    const move = await attempt(client, `UPDATE domain_events SET tenant_id = '${b.id}' ${where}`, params);
    if (h.db.citus) expect(move).toMatchObject({ code: '0A000', message: expect.stringMatching(/partition value/) });
    else expect(move.code).toBe(DENIED);
    for (const set of ['dispatched_at = now()', 'attempts = attempts + 1']) {
      const sql = `UPDATE domain_events SET ${set} ${where}`;
      expect(await done(sql, params)).toEqual({ sql, code: undefined, rowCount: 1 });
    }
    expect((await attempt(client, `DELETE FROM domain_events ${where}`, params)).code).toBe(DENIED);
  });

  it('when it uses platform refresh tokens, then it may issue and mark them used or revoked, nothing else', async () => {
    const token = (await client.query<{ id: string }>('SELECT id FROM platform_refresh_tokens LIMIT 1')).rows[0]!;
    expect(token).toBeDefined();
    for (const sql of [
      'UPDATE platform_refresh_tokens SET used_at = now() WHERE id = $1',
      'UPDATE platform_refresh_tokens SET revoked_at = now() WHERE id = $1',
    ])
      expect(await done(sql, [token.id])).toEqual({ sql, code: undefined, rowCount: 1 });
    const issue = `INSERT INTO platform_refresh_tokens (id, admin_id, family_id, token_hash, expires_at)
                   VALUES (gen_random_uuid(), $1, gen_random_uuid(), 'h', now() + interval '1 day')`;
    expect(await done(issue, [h.platformAdminId])).toEqual({ sql: issue, code: undefined, rowCount: 1 });
    for (const sql of [
      `UPDATE platform_refresh_tokens SET token_hash = 'forged' WHERE id = $1`,
      `UPDATE platform_refresh_tokens SET expires_at = now() + interval '10 years' WHERE id = $1`,
      'DELETE FROM platform_refresh_tokens WHERE id = $1',
    ])
      expect({ sql, code: (await attempt(client, sql, [token.id])).code }).toEqual({ sql, code: DENIED });
  });

  it('when it truncates any table, switches role or calls the tenant context function, then it is refused', async () => {
    const sqls = [
      ...(await publicTables()).map((t) => `TRUNCATE ${t}`),
      'SET ROLE tenantry_app',
      'SET ROLE tenantry_owner',
      `SELECT app.begin_request('${a.id}', NULL)`,
    ];
    expect(await codes(sqls)).toEqual(allDenied(sqls));
  });
});

describe('the two planes in the application', () => {
  it('when the runner opens tenant and platform transactions, then each runs on its own login', async () => {
    const who = `SELECT current_user AS login, app.current_user_id() AS "user",
                        current_setting('app.current_tenant_id', true) AS tenant`;
    const [tenant, platform] = await Promise.all([
      h.runner.tenant({ tenantId: a.id, userId: a.adminId }, ({ tx }) => tx.$queryRawUnsafe(who)),
      h.runner.platform(h.platformAdminId, ({ tx }) => tx.$queryRawUnsafe(who)),
    ]);
    expect(tenant).toEqual([{ login: 'tenantry_app', user: a.adminId, tenant: a.id }]);
    expect(platform).toMatchObject([{ login: 'tenantry_platform', user: h.platformAdminId }]);
    expect(['', null]).toContain((platform as { tenant: string | null }[])[0]!.tenant);
  });

  it('when a platform admin purges a tenant, then its audit log goes with it (the cascade runs as the owner)', async () => {
    const doomed = await h.createTenant();
    await eventually(async () => {
      await h.dispatcher.drain();
      const n = await asPlatform(h, (tx) => tx.auditEntry.count({ where: { tenantId: doomed.id } }));
      expect(n).toBeGreaterThan(0);
    });
    await deleteAndPurge(h, doomed.id);
    expect(await asPlatform(h, (tx) => tx.auditEntry.count({ where: { tenantId: doomed.id } }))).toBe(0);
  });
});

describe('platform admins, created by the owner only', () => {
  const passwords = { hash: hashPassword, verify: verifyPassword };

  it('when no password is given, then the first call generates one (returned once) and later calls change nothing', async () => {
    const email = `gen-${newId()}@platform.test`;
    const generated = await ensurePlatformAdmin(h.db.adminUrl, { email, passwords });
    expect(generated).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(await ensurePlatformAdmin(h.db.adminUrl, { email, passwords })).toBeUndefined();
    const login = await h.request('POST', '/api/v1/auth/platform/login', { body: { email, password: generated } });
    expect(login.status).toBe(200);
  });

  it('when a password is given for an existing admin, then it becomes the password; the same one again is a no-op', async () => {
    const email = `set-${newId()}@platform.test`;
    await ensurePlatformAdmin(h.db.adminUrl, { email, passwords });
    expect(
      await ensurePlatformAdmin(h.db.adminUrl, { email, password: 'chosen-password-1', passwords }),
    ).toBeUndefined();
    const login = (password: string) =>
      h.request('POST', '/api/v1/auth/platform/login', { body: { email, password } }).then((r) => r.status);
    expect(await login('chosen-password-1')).toBe(200);
    expect(await login('another-password-1')).toBe(401);
  });

  it('when the platform login tries the same write, then it is refused: the owner connection is the only way', async () => {
    const platform = await runtimeClient(h.db.platformUrl);
    try {
      await expect(
        platform.query(
          `INSERT INTO platform_admins (id, email, name, password_hash) VALUES ($1, 'late@platform.test', 'L', 'h')`,
          [newId()],
        ),
      ).rejects.toMatchObject({ code: DENIED });
    } finally {
      await platform.end();
    }
  });
});
