import pg from 'pg';

/**
 * The suite on a Citus coordinator: when TEST_DATABASE_ADMIN_URL's database has the citus
 * extension and active workers, the fresh test database is made a Citus database too (created
 * on every worker, the extension in each, the workers added to its metadata), and global
 * setup distributes the schema after migrating. Citus keeps its node list per database.
 */
export interface CitusNode {
  host: string;
  port: number;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function onNode(url: string, node: CitusNode, database: string): string {
  const u = new URL(url);
  u.hostname = node.host;
  u.port = String(node.port);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The active workers of the coordinator behind superUrl, or null when it is not a Citus coordinator. */
export async function citusWorkers(superUrl: string): Promise<CitusNode[] | null> {
  return withClient(superUrl, async (client) => {
    const ext = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
    if (!ext.rowCount) return null;
    const { rows } = await client.query<{ node_name: string; node_port: number }>(
      'SELECT node_name, node_port FROM citus_get_active_worker_nodes() ORDER BY node_port',
    );
    return rows.length > 0 ? rows.map((r) => ({ host: r.node_name, port: r.node_port })) : null;
  });
}

/** Makes `database` (already created on the coordinator) a Citus database over the same workers. */
export async function prepareCitusDatabase(superUrl: string, database: string, workers: CitusNode[]): Promise<void> {
  const coordinator = new URL(superUrl);
  for (const worker of workers) {
    await withClient(onNode(superUrl, worker, 'postgres'), async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!exists.rowCount)
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} OWNER tenantry_owner`);
    });
    await withClient(onNode(superUrl, worker, database), (client) =>
      client.query('CREATE EXTENSION IF NOT EXISTS citus'),
    );
  }
  const url = new URL(superUrl);
  url.pathname = `/${database}`;
  await withClient(url.toString(), async (client) => {
    await client.query('CREATE EXTENSION IF NOT EXISTS citus');
    await client.query('SELECT citus_set_coordinator_host($1, $2)', [
      coordinator.hostname,
      Number(coordinator.port || 5432),
    ]);
    for (const worker of workers) await client.query('SELECT citus_add_node($1, $2)', [worker.host, worker.port]);
  });
}

export async function dropCitusDatabase(superUrl: string, database: string, workers: CitusNode[]): Promise<void> {
  for (const worker of workers) {
    await withClient(onNode(superUrl, worker, 'postgres'), (client) =>
      client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`),
    );
  }
}
