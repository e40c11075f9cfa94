import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { PinnedClients } from './pinned-clients.js';

export type { Prisma } from '../generated/prisma/client.js';
export { PrismaClient };

/** One login's pool and the Prisma clients the transaction runner pins to its connections. */
export interface DbPlane {
  pool: pg.Pool;
  pinned: PinnedClients;
}

export interface DbClients {
  /** The runtime login's pool (tenantry_app): every tenant transaction takes one connection from it. */
  pool: pg.Pool;
  /** Prisma clients the transaction runner pins to a tenant transaction's connection. */
  pinned: PinnedClients;
  /** The platform login's own pool and pinned clients (tenantry_platform): platform transactions only. */
  platform: DbPlane;
  /** A plain client on the runtime pool, outside any transaction (sees no tenant rows). */
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
 * The two logins' pools and the Prisma clients on top of them: the runtime login for tenant
 * transactions, the platform login for platform transactions. Two pools, so that SQL sent on
 * a tenant connection can never reach the platform plane. Only server.ts, the bench and test
 * setup call this. Statement and idle-in-transaction timeouts bound slow queries and
 * abandoned transactions.
 */
export function createDbClients(opts: {
  /** Runtime login (tenantry_app). */
  url: string;
  /** Platform login (tenantry_platform). */
  platformUrl: string;
  poolSize: number;
  /** Default 4: platform work (tenant management, slug lookups at login, the outbox) is light. */
  platformPoolSize?: number;
  statementTimeoutMs: number;
  preparedStatements?: boolean;
  onError?: (err: Error) => void;
}): DbClients {
  // pool.end() resolves before its connections have closed: a server stopping right after
  // (the embedded one at shutdown) terminates them, which is expected then, not an error.
  let closing = false;
  const onError = (err: Error) => {
    if (!closing) opts.onError?.(err);
  };
  const pool = createPool(opts.url, opts.poolSize, 'tenantry', onError, opts);
  const platformPool = createPool(opts.platformUrl, opts.platformPoolSize ?? 4, 'tenantry-platform', onError, opts);
  const pinnedClients = () =>
    new PinnedClients({
      statementNameGenerator: opts.preparedStatements === false ? undefined : preparedStatementNames(),
    });
  const pinned = pinnedClients();
  const platform = { pool: platformPool, pinned: pinnedClients() };
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, { onPoolError: onError, onConnectionError: onError }),
  });
  return {
    pool,
    pinned,
    platform,
    prisma,
    statementTimeoutMs: opts.statementTimeoutMs,
    close: async () => {
      closing = true;
      await Promise.all([pinned.close(), platform.pinned.close()]);
      await prisma.$disconnect();
      await Promise.all([pool.end(), platformPool.end()]);
    },
  };
}

function createPool(
  url: string,
  max: number,
  applicationName: string,
  onError: (err: Error) => void,
  opts: { statementTimeoutMs: number },
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    statement_timeout: opts.statementTimeoutMs,
    idle_in_transaction_session_timeout: opts.statementTimeoutMs * 2,
    application_name: applicationName,
    // A transaction's BEGIN and its context statement go out together: one round trip.
    pipeline: true,
  });
  pool.on('error', onError);
  // A backend terminated or a network cut can surface on a checked-out connection as an
  // 'error' event when no query of it is waiting (pipelined, or between statements): the
  // transaction runner then destroys the connection, and the server must not crash on it.
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
  return pool;
}
