import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** What the next transaction opened in this async context is for. */
export type TxScope =
  | { kind: 'tenant'; tenantId: string; userId: string | null }
  | { kind: 'platform'; adminId: string | null };

const scopes = new AsyncLocalStorage<TxScope>();

/** Runs fn so that a transaction it opens through a ScopedPool starts in `scope`. */
export const withTxScope = <T>(scope: TxScope, fn: () => Promise<T>): Promise<T> => scopes.run(scope, fn);

const CONTEXT_SQL = {
  tenant: 'SELECT app.begin_request($1::uuid, $2::uuid)',
  platform: 'SELECT app.begin_platform($1::uuid)',
} as const;

const PATCHED = Symbol('tenantry.scopedClient');

type QueryConfig = { text?: string } & Record<string, unknown>;
type AnyQuery = (config: unknown, values?: unknown, cb?: unknown) => unknown;

/**
 * A pg.Pool whose connections open a transaction and set its context in one round trip.
 *
 * Prisma's driver adapter begins an interactive transaction with a bare `BEGIN`. When that
 * happens inside withTxScope(), the `BEGIN` is sent together with the context function
 * (pipelined on the same connection, parameters bound — no SQL built from strings), so the
 * tenant is set by the transaction's first statement without an extra round trip. Outside a
 * scope a `BEGIN` passes through untouched, and the transaction has no tenant: it sees no
 * tenant rows (fail closed). The scope is read from AsyncLocalStorage only here, at the
 * driver; services still receive their transaction client explicitly.
 */
export class ScopedPool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: pg.Pool.connect is overloaded (callback and promise forms)
  override connect(callback?: any): any {
    if (callback) return super.connect((err, client, done) => callback(err, client && patch(client), done));
    return super.connect().then(patch);
  }
}

function patch(client: pg.PoolClient): pg.PoolClient {
  const c = client as pg.PoolClient & { [PATCHED]?: true };
  if (c[PATCHED]) return client;
  const original = client.query.bind(client) as AnyQuery;
  const scoped: AnyQuery = (config, values, cb) => {
    const scope = scopes.getStore();
    if (!scope || typeof config !== 'object' || config === null || (config as QueryConfig).text !== 'BEGIN') {
      return original(config, values, cb);
    }
    const begin = original(config) as Promise<unknown>;
    const args = scope.kind === 'tenant' ? [scope.tenantId, scope.userId] : [scope.adminId];
    const context = original({ text: CONTEXT_SQL[scope.kind], values: args }) as Promise<unknown>;
    // Both are on the wire before either is awaited; report the context's refusal first.
    return Promise.allSettled([begin, context]).then(([b, ctx]) => {
      if (b.status === 'rejected') throw b.reason;
      if (ctx.status === 'rejected') throw ctx.reason;
      return b.value;
    });
  };
  Object.assign(client, { query: scoped, [PATCHED]: true });
  return client;
}
