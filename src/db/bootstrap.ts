import pg from 'pg';

/**
 * Superuser step for a database Tenantry manages itself (the embedded default and the test
 * harness): creates (or brings up to date) the owner, runtime and platform logins and the
 * database. An external PostgreSQL is prepared by its administrator instead (README,
 * "External PostgreSQL").
 *
 * Roles are cluster-wide (on a shared server, every test database sees the same ones), so
 * each is created or altered to the attributes below. Memberships are changed here, as the
 * superuser: on PostgreSQL 16+ a CREATEROLE role may only grant or revoke roles it has
 * ADMIN OPTION on, so the owner could not undo a membership an older install granted.
 */
export async function bootstrapDatabase(
  superUrl: string,
  opts: { database: string; ownerPassword?: string; appPassword?: string; platformPassword?: string },
): Promise<void> {
  const client = new pg.Client({ connectionString: superUrl });
  await client.connect();
  try {
    const lit = (s: string) => client.escapeLiteral(s);
    const pw = (p?: string) => (p ? `PASSWORD ${lit(p)}` : '');
    // Serialise concurrent bootstraps against the same cluster (parallel test workers).
    await client.query('SELECT pg_advisory_lock(728011)');
    const role = async (name: string, attrs: string) => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
      await client.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${name} ${attrs}`);
    };
    const login = 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT';
    await role('tenantry_owner', `LOGIN NOSUPERUSER NOCREATEROLE ${pw(opts.ownerPassword)}`);
    await role('tenantry_app', `${login} ${pw(opts.appPassword)}`);
    await role('tenantry_platform', `${login} ${pw(opts.platformPassword)}`);
    await revokeMemberships(client, 'tenantry_app', ['tenantry_platform', 'tenantry_owner']);
    await revokeMemberships(client, 'tenantry_platform', ['tenantry_app', 'tenantry_owner']);
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    const name = client.escapeIdentifier(opts.database);
    if (!db.rowCount) await client.query(`CREATE DATABASE ${name} OWNER tenantry_owner`);
    await client.query(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE ${name} TO tenantry_app, tenantry_platform`);
    await client.query('SELECT pg_advisory_unlock(728011)');
  } finally {
    await client.end();
  }
  // Large objects have no row-level security and nothing in Tenantry uses them, so the
  // runtime role may not create any (PUBLIC can by default). Per database, as superuser.
  const url = new URL(superUrl);
  url.pathname = `/${opts.database}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query(
      'REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) FROM PUBLIC',
    );
  } finally {
    await db.end();
  }
}

/**
 * Removes `member` from each of `roles`, whoever granted it: PostgreSQL 16+ keeps one grant
 * per grantor, and a plain REVOKE removes only the current user's.
 */
async function revokeMemberships(client: pg.Client, member: string, roles: string[]): Promise<void> {
  const { rows } = await client.query<{ role: string; grantor: string }>(
    `SELECT r.rolname AS role, g.rolname AS grantor
       FROM pg_auth_members m
       JOIN pg_roles r ON r.oid = m.roleid
       JOIN pg_roles u ON u.oid = m.member
       JOIN pg_roles g ON g.oid = m.grantor
      WHERE u.rolname = $1 AND r.rolname = ANY ($2)`,
    [member, roles],
  );
  for (const { role, grantor } of rows) {
    const ident = client.escapeIdentifier.bind(client);
    await client.query(`REVOKE ${ident(role)} FROM ${ident(member)} GRANTED BY ${ident(grantor)} CASCADE`);
  }
}
