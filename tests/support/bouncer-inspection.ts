import pg from 'pg';
import type { ConnectionState } from './pool-inspection.js';

const STATE_SQL = `SELECT pg_backend_pid() AS pid, current_user AS "user", session_user AS "session",
  current_setting('app.current_tenant_id', true) AS tenant, current_setting('app.current_user_id', true) AS "userId",
  (SELECT count(*)::int FROM students) AS visible`;

export interface ServerConnection {
  pid: number;
  user: string;
  database: string;
  state: string;
}

/**
 * PgBouncer's server connections (SHOW SERVERS on the admin console) for one database, and
 * one user when given (PgBouncer keeps a server pool per database and user).
 */
export async function bouncerServers(adminUrl: string, database: string, user?: string): Promise<ServerConnection[]> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<Record<string, string>>('SHOW SERVERS');
    return rows
      .filter((r) => r.database === database && (user === undefined || r.user === user))
      .map((r) => ({ pid: Number(r.remote_pid), user: r.user!, database: r.database!, state: r.state! }));
  } finally {
    await admin.end();
  }
}

/** Clients waiting for a server connection right now (SHOW POOLS), summed over pools. */
export async function bouncerWaiting(adminUrl: string): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ cl_waiting: string }>('SHOW POOLS');
    return rows.reduce((n, r) => n + Number(r.cl_waiting), 0);
  } finally {
    await admin.end();
  }
}

function leftoversOf(states: ConnectionState[]): string[] {
  const out: string[] = [];
  for (const s of states) {
    if (s.tenant) out.push(`server ${s.pid}: app.current_tenant_id is still '${s.tenant}'`);
    if (s.userId) out.push(`server ${s.pid}: app.current_user_id is still '${s.userId}'`);
    if (s.user !== 'tenantry_app' || s.session !== 'tenantry_app') {
      out.push(`server ${s.pid}: runs as ${s.user} (session ${s.session}), not tenantry_app`);
    }
    if (s.visible !== 0) out.push(`server ${s.pid}: sees ${s.visible} students with no tenant set`);
  }
  return [...new Set(out)];
}

/**
 * Reads every PgBouncer server connection's session state through PgBouncer itself: first
 * `queries` statements with no transaction from many clients (each lands on whichever server
 * is free), then one open transaction per server at once, which pins each server to one
 * client so none is missed.
 */
export async function inspectThroughBouncer(
  url: string,
  adminUrl: string,
  queries = 150,
): Promise<{ serverPids: number[]; seenPids: number[]; states: ConnectionState[]; leftovers: string[] }> {
  const { pathname, username } = new URL(url);
  const serverPids = (await bouncerServers(adminUrl, pathname.slice(1), decodeURIComponent(username))).map(
    (s) => s.pid,
  );
  const states: ConnectionState[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  try {
    const loose = await Promise.all(Array.from({ length: queries }, () => pool.query<ConnectionState>(STATE_SQL)));
    states.push(...loose.map((r) => r.rows[0]!));
    const pinned = await Promise.all(serverPids.map(() => pool.connect()));
    try {
      await Promise.all(pinned.map((c) => c.query('BEGIN')));
      const held = await Promise.all(pinned.map((c) => c.query<ConnectionState>(STATE_SQL)));
      states.push(...held.map((r) => r.rows[0]!));
    } finally {
      await Promise.all(pinned.map((c) => c.query('COMMIT').finally(() => c.release())));
    }
  } finally {
    await pool.end();
  }
  const seenPids = [...new Set(states.map((s) => s.pid))].sort((a, b) => a - b);
  return { serverPids: serverPids.sort((a, b) => a - b), seenPids, states, leftovers: leftoversOf(states) };
}
