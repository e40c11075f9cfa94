import type pg from 'pg';
import { DomainError, Errors } from '../domain/errors.js';
import type { DbClients, DbPlane, Prisma } from './client.js';

/** The transaction client a request's services and repositories work on. */
export type Tx = Prisma.TransactionClient;

export interface TenantScope {
  tenantId: string;
  userId: string | null;
}

const TENANT_REFUSALS: Record<string, () => DomainError> = {
  TN404: () => Errors.unauthorized('the token no longer names an active tenant user'),
  TN401: () => Errors.unauthorized('the token no longer names an active tenant user'),
  TN403: () => Errors.tenantSuspended(),
  TN400: () => Errors.unauthorized(),
};

// SQLSTATE classes and driver conditions meaning "the database is unreachable or overloaded now".
const UNAVAILABLE_STATES = /^(08|53|57P0|57014|40001|40P01)/;
const UNAVAILABLE_CODES = new Set([
  'P1001',
  'P1002',
  'P1017',
  'P2024',
  'P2028',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
]);
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|ECONNREFUSED|Transaction already closed|Unable to start a transaction|Client has encountered a connection error/i;

/**
 * The database's refusals and outages as domain errors: the context function's SQLSTATEs
 * (unknown tenant or user, suspended tenant) and "unavailable" conditions (503). Anything
 * else is returned unchanged.
 */
export function translateDbFailure(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  const state = sqlState(err);
  const refusal = state ? TENANT_REFUSALS[state] : undefined;
  if (refusal) return refusal();
  const code = (err as { code?: unknown } | null)?.code;
  if (
    (state && UNAVAILABLE_STATES.test(state)) ||
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    (err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message))
  ) {
    return Errors.unavailable('the database is temporarily unavailable');
  }
  return err;
}

/** Finds a PostgreSQL SQLSTATE anywhere in an error raised through Prisma's driver adapter. */
export function sqlState(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 6) return undefined;
  const e = err as Record<string, unknown>;
  for (const key of ['originalCode', 'code']) {
    const v = e[key];
    // Prisma's own codes (P1xxx, P2xxx ...) have the same shape as SQLSTATEs; skip them.
    if (typeof v === 'string' && /^[0-9A-Z]{5}$/.test(v) && !/^P[1-9]\d{3}$/.test(v)) return v;
  }
  for (const key of ['cause', 'meta', 'driverAdapterError']) {
    const found = sqlState(e[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

export interface TransactionRunner {
  /** Runs fn in a transaction whose first statement sets the tenant context (SET LOCAL). */
  tenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs fn in a transaction on the platform login's pool, the acting admin recorded (SET LOCAL). */
  platform<T>(adminId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export interface RunnerOptions {
  /** How each transaction begins; REPEATABLE READ gives long readers (exports) one snapshot. */
  isolation?: 'read committed' | 'repeatable read';
  /**
   * Statement and idle-in-transaction timeouts, set transaction-locally in every transaction.
   * Connection startup parameters do the same on a direct connection, but PgBouncer in
   * transaction mode does not pass them on; this does.
   */
  statementTimeoutMs?: number;
}

const CONTEXT_SQL = {
  tenant: 'SELECT app.begin_request($1::uuid, $2::uuid)',
  platform: 'SELECT app.begin_platform($1::uuid)',
} as const;

/**
 * Runs request transactions: check out a connection — tenant transactions from the runtime
 * login's pool, platform transactions from the platform login's — send BEGIN and the context
 * function together (the pool pipelines them: one round trip, parameters bound), run fn with
 * a Prisma client pinned to that connection, then COMMIT — or ROLLBACK on any error. Nothing
 * is set at session level, and a connection whose transaction failed in an unknown state is
 * destroyed rather than returned to the pool.
 */
export function createTransactionRunner(
  clients: Pick<DbClients, 'pool' | 'pinned' | 'platform'>,
  options: RunnerOptions = {},
): TransactionRunner {
  const begin = options.isolation === 'repeatable read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ' : 'BEGIN';
  // Integers from validated configuration only (SET takes no bind parameters).
  const ms = options.statementTimeoutMs === undefined ? undefined : Math.trunc(options.statementTimeoutMs);
  const timeouts =
    ms && ms > 0
      ? `SET LOCAL statement_timeout = ${ms}; SET LOCAL idle_in_transaction_session_timeout = ${ms * 2}`
      : undefined;

  async function run<T>(plane: DbPlane, context: string, args: unknown[], fn: (tx: Tx) => Promise<T>): Promise<T> {
    let connection: pg.PoolClient;
    try {
      connection = await plane.pool.connect();
    } catch (err) {
      throw translateDbFailure(err);
    }
    let broken: unknown;
    // A checked-out connection's errors (server shutdown, network) surface through its
    // queries; without a listener they would crash the process.
    const onConnectionError = (err: Error) => {
      broken = err;
    };
    connection.on('error', onConnectionError);
    try {
      // One round trip: the pool pipelines these; the first failure explains the rest.
      const sent = [connection.query(begin), connection.query(context, args)];
      if (timeouts) sent.push(connection.query(timeouts));
      for (const settled of await Promise.allSettled(sent)) {
        if (settled.status === 'rejected') throw settled.reason;
      }
      const result = await plane.pinned.run(connection, fn);
      await connection.query('COMMIT');
      return result;
    } catch (err) {
      await connection.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr;
      });
      throw translateDbFailure(err);
    } finally {
      connection.off('error', onConnectionError);
      connection.release(broken instanceof Error ? broken : undefined);
    }
  }

  return {
    tenant: (scope, fn) => run(clients, CONTEXT_SQL.tenant, [scope.tenantId, scope.userId], fn),
    platform: (adminId, fn) => run(clients.platform, CONTEXT_SQL.platform, [adminId], fn),
  };
}
