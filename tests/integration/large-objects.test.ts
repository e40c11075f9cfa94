import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';

describe('large objects', () => {
  it('when the runtime role tries to create a large object, then it is refused (they have no row-level security)', async () => {
    const client = new pg.Client({ connectionString: inject('db').runtimeUrl });
    await client.connect();
    try {
      for (const sql of ["SELECT lo_from_bytea(0, 'x'::bytea)", 'SELECT lo_create(0)', 'SELECT lo_creat(-1)']) {
        await expect(client.query(sql)).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await client.end();
    }
  });
});
