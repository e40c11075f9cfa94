import pg from 'pg';

/**
 * Superuser step for a database Tenantry manages itself (the embedded default and the test
 * harness): creates the owner, runtime and platform roles and the database. An external
 * PostgreSQL is prepared by its administrator instead (README, "External PostgreSQL").
 */
export async function bootstrapDatabase(
  superUrl: string,
  opts: { database: string; ownerPassword?: string; appPassword?: string },
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
    await role('tenantry_owner', `LOGIN NOSUPERUSER CREATEROLE ${pw(opts.ownerPassword)}`);
    await role(
      'tenantry_app',
      `LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT ${pw(opts.appPassword)}`,
    );
    await role('tenantry_platform', 'NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE');
    await client.query('GRANT tenantry_platform TO tenantry_app');
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (!db.rowCount) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(opts.database)} OWNER tenantry_owner`);
    }
    await client.query(`REVOKE ALL ON DATABASE ${client.escapeIdentifier(opts.database)} FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(opts.database)} TO tenantry_app`);
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
