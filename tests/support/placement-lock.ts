import pg from 'pg';

// Moving a tenant to shards of its own (src/db/isolate.ts) lifts FORCE row-level security for
// the move. Tests that assert the catalog's state take this advisory lock shared, the move's
// test takes it exclusively, so neither sees the other's window.
const KEY = 72_801_250;

export async function withPlacementLock<T>(
  url: string,
  mode: 'exclusive' | 'shared',
  fn: () => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(mode === 'exclusive' ? 'SELECT pg_advisory_lock($1)' : 'SELECT pg_advisory_lock_shared($1)', [
      KEY,
    ]);
    return await fn();
  } finally {
    await client.end();
  }
}
