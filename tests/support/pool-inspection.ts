import type pg from 'pg';

export interface ConnectionState {
  pid: number;
  user: string;
  session: string;
  tenant: string | null;
  userId: string | null;
  visible: number;
}

/**
 * Checks out `size` connections at once (so every pooled connection is inspected, not the same
 * idle one again) and lists whatever a previous transaction left behind on them.
 */
export async function inspectPool(
  pool: pg.Pool,
  size: number,
): Promise<{ states: ConnectionState[]; leftovers: string[] }> {
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  try {
    const states = await Promise.all(
      clients.map(async (c) => {
        const { rows } = await c.query<ConnectionState>(
          `SELECT pg_backend_pid() AS pid, current_user AS "user", session_user AS "session",
                  current_setting('app.current_tenant_id', true) AS tenant,
                  current_setting('app.current_user_id', true) AS "userId",
                  (SELECT count(*)::int FROM students) AS visible`,
        );
        return rows[0]!;
      }),
    );
    const leftovers: string[] = [];
    for (const s of states) {
      if (s.tenant) leftovers.push(`connection ${s.pid}: app.current_tenant_id is still '${s.tenant}'`);
      if (s.userId) leftovers.push(`connection ${s.pid}: app.current_user_id is still '${s.userId}'`);
      if (s.user !== 'tenantry_app' || s.session !== 'tenantry_app') {
        leftovers.push(`connection ${s.pid}: runs as ${s.user} (session ${s.session}), not tenantry_app`);
      }
      if (s.visible !== 0) leftovers.push(`connection ${s.pid}: sees ${s.visible} students with no tenant set`);
    }
    return { states, leftovers };
  } finally {
    for (const c of clients) c.release();
  }
}
