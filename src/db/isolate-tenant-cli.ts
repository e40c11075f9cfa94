import { loadEnv } from '../config/env.js';
import { DistributionRefused } from './distribute.js';
import { isolateTenant } from './isolate.js';

// `npm run db:isolate-tenant -- <tenant id>`: on a Citus coordinator (DATABASE_ADMIN_URL, the
// owner), moves the tenant to shards of its own; the printed shard can then be placed on a
// node of its own with citus_move_shard_placement.
async function main() {
  const env = loadEnv();
  const tenantId = process.argv[2];
  if (!tenantId) throw new DistributionRefused('usage: npm run db:isolate-tenant -- <tenant id>');
  if (!env.DATABASE_ADMIN_URL)
    throw new DistributionRefused('set DATABASE_ADMIN_URL (the owner) to the Citus coordinator');
  const r = await isolateTenant(env.DATABASE_ADMIN_URL, tenantId);
  process.stdout.write(
    r.moved
      ? `tenant ${r.tenantId} isolated: shard group of shard ${r.shardId}, on ${r.node}\n`
      : `tenant ${r.tenantId} already has shards of its own: shard ${r.shardId}, on ${r.node}\n`,
  );
}

main().catch((err) => {
  const prefix = err instanceof DistributionRefused ? 'refused: ' : '';
  process.stderr.write(`${prefix}${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
