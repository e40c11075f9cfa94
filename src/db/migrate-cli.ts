import { loadEnv } from '../config/env.js';
import { migrate, resolveDatabase } from './setup.js';

// `npm run db:migrate`: applies pending migrations and the sql/ security files to the
// configured database (DATABASE_ADMIN_URL) or the embedded one under DATA_DIR.
async function main() {
  const env = loadEnv();
  const log = (msg: string) => process.stdout.write(`${msg}\n`);
  const database = await resolveDatabase({
    databaseUrl: env.DATABASE_URL,
    adminUrl: env.DATABASE_ADMIN_URL,
    platformUrl: env.DATABASE_PLATFORM_URL,
    dataDir: env.DATA_DIR,
    embeddedPort: env.EMBEDDED_PG_PORT,
    log,
  });
  try {
    const result = await migrate(database.adminUrl, log, { distribute: env.CITUS_DISTRIBUTE });
    log(
      `${result.applied.length} migration(s) applied, ${result.alreadyApplied} already applied; security files re-applied${result.distributed ? '; distributed on Citus' : ''}`,
    );
  } finally {
    await database.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
