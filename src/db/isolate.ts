import pg from 'pg';
import { citusInstalled, DistributionRefused } from './distribute.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IsolationResult {
  tenantId: string;
  /** The tenant's shard of each co-located tenant table after the move. */
  shardId: string;
  node: string;
  /** False when the tenant already had a shard of its own. */
  moved: boolean;
}

/**
 * Moves one tenant to shards of its own (`isolate_tenant_to_new_shard`, CASCADE: every
 * co-located tenant table at once), so a large tenant can then be placed on a node of its own
 * (`citus_move_shard_placement`). Citus copies the rows with logical replication and blocks
 * writes to the tenant's shard only for the final switch-over; the tenant keeps being served.
 * Runs as the owner on the coordinator.
 */
export async function isolateTenant(adminUrl: string, tenantId: string): Promise<IsolationResult> {
  if (!UUID.test(tenantId)) throw new DistributionRefused(`not a tenant id: ${JSON.stringify(tenantId)}`);
  const db = new pg.Client({ connectionString: adminUrl });
  await db.connect();
  try {
    if (!(await citusInstalled(db))) {
      throw new DistributionRefused(
        'the citus extension is not installed in this database: nothing to isolate on a single node',
      );
    }
    const anchor = await db.query<{ table: string }>(
      `SELECT logicalrelid::regclass::text AS table FROM pg_dist_partition
        WHERE partmethod = 'h' AND logicalrelid = 'public.tenant_settings'::regclass`,
    );
    if (!anchor.rowCount)
      throw new DistributionRefused('tenant tables are not distributed (run npm run db:distribute first)');
    const shard = async () => {
      const { rows } = await db.query<{ shardid: string; minv: string; maxv: string; node: string }>(
        `SELECT s.shardid::text, s.shardminvalue AS minv, s.shardmaxvalue AS maxv, p.nodename || ':' || p.nodeport AS node
           FROM pg_dist_shard s JOIN pg_dist_shard_placement p USING (shardid)
          WHERE s.shardid = get_shard_id_for_distribution_column('public.tenant_settings', $1::uuid)`,
        [tenantId],
      );
      return rows[0]!;
    };
    const before = await shard();
    if (before.minv === before.maxv) return { tenantId, shardId: before.shardid, node: before.node, moved: false };
    // Citus copies the rows with logical replication, applied by a role of the owner's; with
    // FORCE the owner is subject to the policies, and PostgreSQL refuses to replicate into a
    // table whose row-level security applies to the applying role. So FORCE is lifted for the
    // move and restored after it, whatever happens: the runtime and platform logins' policies
    // apply throughout (they are not the owner), only the owner sees every row meanwhile.
    const { rows: tables } = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
        WHERE p.colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'public.tenant_settings'::regclass)
          AND c.relforcerowsecurity ORDER BY 1`,
    );
    try {
      for (const t of tables)
        await db.query(`ALTER TABLE public.${db.escapeIdentifier(t.name)} NO FORCE ROW LEVEL SECURITY`);
      await db.query(`SELECT isolate_tenant_to_new_shard('public.tenant_settings', $1::uuid, 'CASCADE')`, [tenantId]);
    } finally {
      for (const t of tables)
        await db.query(`ALTER TABLE public.${db.escapeIdentifier(t.name)} FORCE ROW LEVEL SECURITY`);
    }
    const after = await shard();
    return { tenantId, shardId: after.shardid, node: after.node, moved: true };
  } finally {
    await db.end();
  }
}
