import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { PinnedClients } from './pinned-clients.js';

export type { Prisma } from '../generated/prisma/client.js';
export { PrismaClient };

export interface DbClients {
  /** The runtime role's pool: every request transaction takes one connection from it. */
  pool: pg.Pool;
  /** Prisma clients the transaction runner pins to a request's connection. */
  pinned: PinnedClients;
  /** A plain client on the pool, outside any transaction (sees no tenant rows). */
  prisma: PrismaClient;
  statementTimeoutMs: number;
  close(): Promise<void>;
}

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

/**
 * The runtime role's pool and the Prisma clients on top of it. Only server.ts, the bench and
 * test setup call this. Statement and idle-in-transaction timeouts bound slow queries and
 * abandoned transactions.
 */
export function createDbClients(opts: {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  preparedStatements?: boolean;
  onError?: (err: Error) => void;
}): DbClients {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: 5000,
    statement_timeout: opts.statementTimeoutMs,
    idle_in_transaction_session_timeout: opts.statementTimeoutMs * 2,
    application_name: 'tenantry',
    // A transaction's BEGIN and its context statement go out together: one round trip.
    pipeline: true,
  });
  pool.on('error', (err) => opts.onError?.(err));
  const statementNameGenerator = opts.preparedStatements === false ? undefined : preparedStatementNames();
  const pinned = new PinnedClients({ statementNameGenerator });
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, { onPoolError: opts.onError, onConnectionError: opts.onError }),
  });
  return {
    pool,
    pinned,
    prisma,
    statementTimeoutMs: opts.statementTimeoutMs,
    close: async () => {
      await pinned.close();
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
