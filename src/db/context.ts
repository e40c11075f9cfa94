import pg from 'pg';
import type { DbClients, DbPlane, Prisma } from './client.js';
import { translateDbError } from './errors.js';

/** The transaction client a request's repositories work on. */
export type Tx = Prisma.TransactionClient;

/**
 * One statement sent straight to the transaction's connection with pg, bypassing Prisma: for
 * the hottest statements, where Prisma's query handling costs more CPU than the query. Values
 * come back as $queryRaw returns them for the columns used this way (a date as a Date at UTC
 * midnight, timestamps as Dates, json parsed), except int8, which stays a string.
 */
export type SqlRows = <R>(query: Prisma.Sql) => Promise<R[]>;

const DATE_OID = 1082;
const ROW_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID
      ? (value: string) => new Date(`${value}T00:00:00Z`)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function sqlOn(plane: DbPlane, connection: pg.PoolClient, open: { now: boolean }): SqlRows {
  return async <R>(query: Prisma.Sql) => {
    if (!open.now) throw new Error('database access outside a request transaction: the transaction has ended');
    const text = query.text;
    // Prepared once per connection under the same names as Prisma's statements (when enabled).
    const name = plane.pinned.statementName(text);
    const result = await connection.query({ text, values: query.values, types: ROW_TYPES, ...(name && { name }) });
    return result.rows as R[];
  };
}

/** Who a tenant transaction is for: the database refuses unknown or suspended tenants and unknown users. */
export interface TenantContext {
  tenantId: string;
  userId: string | null;
  /** The role the caller's token names: the database refuses the context unless the user holds it. */
  role?: string;
  /** The token's `iat` (epoch seconds): refused when the user's sessions were ended after it. */
  issuedAt?: number;
  /**
   * The tenant's plan's statement timeout: applied with SET LOCAL in the same round trip, never
   * longer than the runner's own (the server-wide ceiling).
   */
  statementTimeoutMs?: number;
}

/**
 * One tenant transaction as a single value: the client, and the tenant and user its first
 * statement set as the context. Services and repositories take this instead of a client and a
 * tenant id side by side, so the two cannot disagree.
 */
export interface TenantScope {
  readonly tx: Tx;
  /** The same transaction's connection, for statements sent without Prisma (see SqlRows). */
  readonly sql: SqlRows;
  readonly tenantId: string;
  readonly userId: string | null;
}

/** One platform-plane transaction: cross-tenant by the platform role's own policies. */
export interface PlatformScope {
  readonly tx: Tx;
  /** The same transaction's connection, for statements sent without Prisma (see SqlRows). */
  readonly sql: SqlRows;
  /** The acting platform admin (null for the server's own work: slug lookups, the outbox). */
  readonly adminId: string | null;
}

/** Opens tenant transactions; what tenant services and the request middleware are given. */
export interface TenantRunner {
  /** Runs fn in a transaction whose first statement sets the tenant context (SET LOCAL). */
  tenant<T>(context: TenantContext, fn: (scope: TenantScope) => Promise<T>): Promise<T>;
}

/** Opens platform-plane transactions; only platform services and the outbox hold one. */
export interface PlatformRunner {
  /** Runs fn in a transaction on the platform login's pool, the acting admin recorded (SET LOCAL). */
  platform<T>(adminId: string | null, fn: (scope: PlatformScope) => Promise<T>): Promise<T>;
}

export interface TransactionRunner extends TenantRunner, PlatformRunner {}

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
  tenant: 'SELECT app.begin_request($1::uuid, $2::uuid, $3::text, $4::timestamptz)',
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
  // Integers from validated configuration and plan limits only (SET takes no bind parameters).
  const ceiling = options.statementTimeoutMs === undefined ? undefined : Math.trunc(options.statementTimeoutMs);
  // Prisma's pg adapter reads a timestamptz as if its offset were +00:00, so a session in any
  // other time zone (the server's TimeZone, a role's or database's setting) would shift every
  // timestamp Prisma returns: each transaction sets UTC for itself, beside its timeouts.
  const utc = "SET LOCAL TimeZone = 'UTC'";
  const settingsFor = (tenantMs?: number): string => {
    const own = tenantMs !== undefined && Number.isFinite(tenantMs) ? Math.trunc(tenantMs) : undefined;
    const ms = own !== undefined && own > 0 && (ceiling === undefined || own < ceiling) ? own : ceiling;
    if (!ms || ms <= 0) return utc;
    const idle = ceiling && ceiling > 0 ? ceiling * 2 : ms * 2;
    return `${utc}; SET LOCAL statement_timeout = ${ms}; SET LOCAL idle_in_transaction_session_timeout = ${idle}`;
  };
  const defaultSettings = settingsFor();

  async function run<T>(
    plane: DbPlane,
    context: string,
    args: unknown[],
    settings: string,
    fn: (tx: Tx, sql: SqlRows) => Promise<T>,
  ): Promise<T> {
    let connection: pg.PoolClient;
    try {
      connection = await plane.pool.connect();
    } catch (err) {
      throw translateDbError(err);
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
      const sent = [connection.query(begin), connection.query(context, args), connection.query(settings)];
      for (const settled of await Promise.allSettled(sent)) {
        if (settled.status === 'rejected') throw settled.reason;
      }
      const open = { now: true };
      const result = await plane.pinned
        .run(connection, (tx) => fn(tx, sqlOn(plane, connection, open)))
        .finally(() => {
          open.now = false;
        });
      await connection.query('COMMIT');
      return result;
    } catch (err) {
      await connection.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr;
      });
      throw translateDbError(err);
    } finally {
      connection.off('error', onConnectionError);
      connection.release(broken instanceof Error ? broken : undefined);
    }
  }

  return {
    tenant: (context, fn) =>
      run(
        clients,
        CONTEXT_SQL.tenant,
        [
          context.tenantId,
          context.userId,
          context.role ?? null,
          context.issuedAt === undefined ? null : new Date(context.issuedAt * 1000).toISOString(),
        ],
        context.statementTimeoutMs === undefined ? defaultSettings : settingsFor(context.statementTimeoutMs),
        (tx, sql) => fn({ tx, sql, tenantId: context.tenantId, userId: context.userId }),
      ),
    platform: (adminId, fn) =>
      run(clients.platform, CONTEXT_SQL.platform, [adminId], defaultSettings, (tx, sql) => fn({ tx, sql, adminId })),
  };
}
