import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { checkIsolation } from '../../src/db/self-check.js';
import { assertIsolation } from '../../src/db/setup.js';
import { freePort } from '../support/free-port.js';

// An embedded data directory as an older version left it: a secrets file without the platform
// login's password, and (in a cluster of this file's own, so the real roles can be changed)
// tenantry_platform a NOLOGIN role that tenantry_app is a member of.
const gen = () => randomBytes(18).toString('base64url');
const old = { superuser: gen(), owner: gen(), app: gen() };
let dataDir: string;
let port: number;
let server: EmbeddedDatabase | undefined;

const query = async (url: string, sql: string, params: unknown[] = []) => {
  const c = new pg.Client({ connectionString: url });
  c.on('error', (err) => poolErrors.push(err));
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
};

// An idle pooled connection cut by a cluster stop is reported here, not thrown as an unhandled
// 'error' event after the test has passed.
const poolErrors: Error[] = [];
const watched = (pool: pg.Pool) => pool.on('error', (err) => poolErrors.push(err));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tenantry-upgrade-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as the postgres user, which must enter it
  writeFileSync(join(dataDir, 'pg-secrets.json'), JSON.stringify(old), { mode: 0o600 });
  port = await freePort();
  server = await startEmbeddedPostgres({ dataDir, port });
  await migrate(server.adminUrl);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('upgrading an install made before the platform login', () => {
  it('when the secrets file has no platform password, then one is added and the others are kept', () => {
    const secrets = JSON.parse(readFileSync(join(dataDir, 'pg-secrets.json'), 'utf8')) as Record<string, string>;
    expect(secrets).toMatchObject(old);
    expect(secrets.platform).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(server?.platformUrl).toContain(`tenantry_platform:${secrets.platform}@`);
  });

  it('when the runtime login is still a member of a NOLOGIN platform role, then the self-check refuses; the next start revokes it and passes', async () => {
    const su = server!.superUrl;
    await query(su, 'ALTER ROLE tenantry_platform NOLOGIN; GRANT tenantry_platform TO tenantry_app');
    await expect(query(server!.platformUrl, 'SELECT 1')).rejects.toThrow(/not permitted to log in/);
    const runtime = watched(new pg.Pool({ connectionString: server!.runtimeUrl, max: 1 }));
    try {
      const problems = (await checkIsolation(runtime)).map((p) => p.detail);
      expect(problems).toContain('runtime role is a member of tenantry_platform (the platform login)');
    } finally {
      await runtime.end();
    }

    // The server's start: bootstrap (as the superuser), then migrations.
    await server!.stop();
    server = await startEmbeddedPostgres({ dataDir, port });
    await migrate(server.adminUrl);
    const pools = {
      runtime: watched(new pg.Pool({ connectionString: server.runtimeUrl, max: 1 })),
      platform: watched(new pg.Pool({ connectionString: server.platformUrl, max: 1 })),
    };
    try {
      await expect(assertIsolation(pools)).resolves.toBeUndefined();
      const c = await pools.runtime.connect();
      try {
        await expect(c.query('SET ROLE tenantry_platform')).rejects.toMatchObject({ code: '42501' });
      } finally {
        c.release();
      }
      expect((await pools.platform.query('SELECT current_user AS u')).rows).toEqual([{ u: 'tenantry_platform' }]);
    } finally {
      await Promise.all([pools.runtime.end(), pools.platform.end()]);
    }
    expect(
      await query(
        su,
        `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
          WHERE m.member = 'tenantry_app'::regrole`,
      ),
    ).toEqual([]);
  });
});
