import { loadEnv } from '../config/env.js';
import { DistributionRefused, distributeSchema } from './distribute.js';

// `npm run db:distribute`: on a Citus coordinator (DATABASE_ADMIN_URL, the owner), makes the
// platform tables that tenant tables refer to reference tables and distributes every tenant
// table by tenant_id, co-located. Safe to run again.
async function main() {
  const env = loadEnv();
  const log = (msg: string) => process.stdout.write(`${msg}\n`);
  if (!env.DATABASE_ADMIN_URL) {
    throw new Error(
      'set DATABASE_ADMIN_URL (the owner) to the Citus coordinator; the embedded PostgreSQL has no Citus',
    );
  }
  const result = await distributeSchema(env.DATABASE_ADMIN_URL, log);
  log(
    `${result.reference.length} reference table(s) and ${result.distributed.length} distributed table(s) created, ${result.alreadyDone.length} already in place`,
  );
}

main().catch((err) => {
  const prefix = err instanceof DistributionRefused ? 'refused: ' : '';
  process.stderr.write(`${prefix}${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
