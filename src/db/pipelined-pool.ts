import pg from 'pg';

const PATCHED = Symbol('tenantry.lazyBegin');
const DEFERRED_RESULT = { command: 'BEGIN', rowCount: 0, rows: [], fields: [] };

type AnyQuery = (config: unknown, values?: unknown, callback?: unknown) => unknown;

const isBegin = (config: unknown): config is { text: string } =>
  typeof config === 'object' && config !== null && (config as { text?: unknown }).text === 'BEGIN';

/**
 * A pg.Pool whose connections defer a transaction's `BEGIN` and send it with the statement
 * that follows, pipelined on the same connection.
 *
 * Prisma's driver adapter opens an interactive transaction with a bare, awaited `BEGIN`; the
 * tenant transaction's next statement is always `SELECT app.begin_request(...)`. Holding the
 * `BEGIN` back until then puts both on the wire together: the transaction is opened and its
 * tenant context set in one round trip, with bound parameters and nothing else in between.
 * Nothing about the tenant lives here: the context statement is still the transaction's
 * first, issued explicitly by the transaction runner.
 */
export class PipelinedPool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: pg.Pool.connect is overloaded (callback and promise forms)
  override connect(callback?: any): any {
    if (callback) return super.connect((err, client, done) => callback(err, client && lazyBegin(client), done));
    return super.connect().then(lazyBegin);
  }
}

function lazyBegin(client: pg.PoolClient): pg.PoolClient {
  const c = client as pg.PoolClient & { [PATCHED]?: true };
  if (c[PATCHED]) return client;
  const query = client.query.bind(client) as AnyQuery;
  const release = client.release.bind(client);
  let pendingBegin: unknown = null;

  const patchedQuery: AnyQuery = (config, values, callback) => {
    if (isBegin(config) && values === undefined && callback === undefined && pendingBegin === null) {
      pendingBegin = config;
      return Promise.resolve(DEFERRED_RESULT);
    }
    if (pendingBegin === null || callback !== undefined) return query(config, values, callback);
    const begin = query(pendingBegin) as Promise<unknown>;
    pendingBegin = null;
    const next = query(config, values) as Promise<unknown>;
    // Both are on the wire before either is awaited; a failed BEGIN explains the rest.
    return Promise.allSettled([begin, next]).then(([b, n]) => {
      if (b.status === 'rejected') throw b.reason;
      if (n.status === 'rejected') throw n.reason;
      return n.value;
    });
  };

  Object.assign(client, {
    query: patchedQuery,
    release: (err?: Error | boolean) => {
      // A transaction that never sent a statement never began: nothing to undo.
      pendingBegin = null;
      return release(err);
    },
    [PATCHED]: true,
  });
  return client;
}
