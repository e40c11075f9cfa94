import pg from 'pg';
import type { Harness, TestTenant } from './harness.js';

export interface Attempt {
  /** SQLSTATE when the statement failed, else undefined. */
  code?: string;
  constraint?: string;
  message?: string;
  rowCount?: number;
  rows: Record<string, unknown>[];
}

/** A plain pg client on the runtime role (tenantry_app), no pool, no Prisma. */
export async function runtimeClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/**
 * Runs one statement inside a savepoint of the caller's open transaction and always rolls it
 * back: a failure does not abort the transaction, a success leaves nothing behind.
 */
export async function attempt(client: pg.Client, sql: string, params: unknown[] = []): Promise<Attempt> {
  await client.query('SAVEPOINT attempt');
  try {
    const res = await client.query(sql, params);
    return { rowCount: res.rowCount ?? 0, rows: res.rows };
  } catch (err) {
    const e = err as { code?: string; constraint?: string; message?: string };
    return { code: e.code, constraint: e.constraint, message: e.message, rows: [] };
  } finally {
    await client.query('ROLLBACK TO SAVEPOINT attempt');
  }
}

/** Tenant tables the runtime role may SELECT from, found in the catalog (so new ones are covered). */
export async function readableTenantTables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND has_table_privilege(current_user, c.oid, 'SELECT')
      ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Creates a student through the real HTTP API and returns its id. */
export async function createStudentViaApi(h: Harness, t: TestTenant, studentNo: string): Promise<string> {
  const res = await h.request('POST', '/api/v1/students', {
    token: t.token,
    body: { studentNo, firstName: `First ${t.slug}`, lastName: 'Fixture' },
  });
  if (res.status !== 201) throw new Error(`create student: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
