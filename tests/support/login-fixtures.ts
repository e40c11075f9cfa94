import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ScratchDatabase } from './scratch-database.js';

export interface FixtureLogin {
  name: string;
  /** The scratch database, logged in as this role. */
  url: string;
}

/**
 * Login roles made for one test, on a scratch database. Roles are cluster-wide (and the real
 * tenantry_app is shared with every file running in parallel), so a broken login is a
 * stand-in with a random name — never tenantry_app or tenantry_platform themselves altered.
 */
export function loginFixtures(scratch: ScratchDatabase, superUrl: string) {
  const suffix = randomBytes(4).toString('hex');
  const made: string[] = [];

  async function asSuper(sql: string, url = superUrl): Promise<void> {
    const su = new pg.Client({ connectionString: url });
    await su.connect();
    try {
      await su.query(sql);
    } finally {
      await su.end();
    }
  }

  return {
    /** CREATE ROLE <name>_<suffix> LOGIN <attributes>, allowed to connect to the scratch database. */
    async login(name: string, attributes: string): Promise<FixtureLogin> {
      const role = `${name}_${suffix}`;
      const password = randomBytes(12).toString('hex');
      await asSuper(`CREATE ROLE ${role} LOGIN ${attributes} PASSWORD '${password}'`);
      made.push(role);
      await asSuper(`GRANT CONNECT ON DATABASE ${scratch.name} TO ${role}`);
      const url = new URL(scratch.runtimeUrl);
      url.username = role;
      url.password = password;
      return { name: role, url: url.toString() };
    },
    /** CREATE ROLE <name>_<suffix> NOLOGIN. */
    async group(name: string): Promise<string> {
      const role = `${name}_${suffix}`;
      await asSuper(`CREATE ROLE ${role} NOLOGIN`);
      made.push(role);
      return role;
    },
    /** SQL as the superuser on the scratch database (grants, policies). */
    exec: (sql: string) => asSuper(sql, scratch.superUrl),
    /** After the scratch database is dropped (roles outlive it). */
    async dropRoles(): Promise<void> {
      if (made.length) await asSuper(`DROP ROLE IF EXISTS ${made.reverse().join(', ')}`);
    },
  };
}
