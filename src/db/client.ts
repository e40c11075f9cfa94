import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { PipelinedPool } from './pipelined-pool.js';

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
/**
 * Names Prisma's statements so each connection prepares them once and then only binds and
 * executes. Bounded: SQL whose shape varies with input (createMany of N rows, IN lists)
 * would otherwise fill every connection with one-off statements; past the bound, and for
 * long statements, queries run unnamed.
 */
export function preparedStatementNames(max = 1000): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return (query) => {
    let name = names.get(query.sql);
    if (name === undefined && names.size < max && query.sql.length <= 4000) {
      name = `t_${createHash('sha1').update(query.sql).digest('base64url')}`;
      names.set(query.sql, name);
    }
    return name as string;
  };
}

export function createDbClients(opts: {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  preparedStatements?: boolean;
  onError?: (err: Error) => void;
}): DbClients {
  const pool = new PipelinedPool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: 5000,
    statement_timeout: opts.statementTimeoutMs,
    idle_in_transaction_session_timeout: opts.statementTimeoutMs * 2,
    application_name: 'tenantry',
    // Lets a transaction's BEGIN and its context statement share one round trip (PipelinedPool).
    pipeline: true,
  });
  pool.on('error', (err) => opts.onError?.(err));
  const adapter = new PrismaPg(pool, {
    onPoolError: opts.onError,
    onConnectionError: opts.onError,
    ...(opts.preparedStatements !== false && { statementNameGenerator: preparedStatementNames() }),
  });
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
