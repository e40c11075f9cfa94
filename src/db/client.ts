import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { ScopedPool } from './scoped-pool.js';

export type { Prisma } from '../generated/prisma/client.js';
export { PrismaClient };

export interface DbClients {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * The runtime role's pool and the Prisma client on top of it. Only server.ts, the bench and
 * test setup call this. Statement and idle-in-transaction timeouts bound slow queries and
 * abandoned transactions.
 */
export function createDbClients(opts: {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  onError?: (err: Error) => void;
}): DbClients {
  const pool = new ScopedPool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: 5000,
    statement_timeout: opts.statementTimeoutMs,
    idle_in_transaction_session_timeout: opts.statementTimeoutMs * 2,
    application_name: 'tenantry',
    // Lets a transaction's BEGIN and its context statement share one round trip (ScopedPool).
    pipeline: true,
  });
  pool.on('error', (err) => opts.onError?.(err));
  const adapter = new PrismaPg(pool, { onPoolError: opts.onError, onConnectionError: opts.onError });
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    pool,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
