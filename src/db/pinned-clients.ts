import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

const NOT_PINNED = 'database access outside a request transaction: the transaction this client belonged to has ended';

/** The connection holding one request's open transaction, for as long as that transaction runs. */
interface Pin {
  connection: pg.PoolClient | null;
  /** Nesting depth of Prisma's internal transactions (savepoints) on this connection. */
  depth: number;
}

/**
 * A pg.Pool stand-in for Prisma's driver adapter that runs every query on the connection
 * pinned to the calling request — found through the request's async context, so one Prisma
 * client serves every request at once. With nothing pinned (outside a request, or after its
 * transaction ended) it refuses (fail closed) rather than opening a connection of its own.
 */
class PinnedPool extends pg.Pool {
  constructor(private readonly pins: AsyncLocalStorage<Pin>) {
    super({ max: 1 });
  }

  private connection(): pg.PoolClient | null {
    return this.pins.getStore()?.connection ?? null;
  }

  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg.Pool.query's overloads
  override query(config: any, values?: any): any {
    const connection = this.connection();
    if (!connection) return Promise.reject(new Error(NOT_PINNED));
    return connection.query(config, values);
  }

  /**
   * Prisma opens an internal transaction for some multi-statement operations (nested writes).
   * On a pinned connection the request's transaction is already open, so its BEGIN, COMMIT
   * and ROLLBACK become a savepoint, its release and a rollback to it: the operation stays
   * atomic and can never end the request's transaction early.
   */
  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg.Pool.connect's overloads
  override connect(): any {
    const pin = this.pins.getStore();
    const connection = pin?.connection;
    if (!pin || !connection) return Promise.reject(new Error(NOT_PINNED));
    const savepoint = `prisma_internal_${++pin.depth}`;
    const translate: Record<string, string> = {
      BEGIN: `SAVEPOINT ${savepoint}`,
      COMMIT: `RELEASE SAVEPOINT ${savepoint}`,
      ROLLBACK: `ROLLBACK TO SAVEPOINT ${savepoint}`,
    };
    return Promise.resolve({
      // biome-ignore lint/suspicious/noExplicitAny: pg query config
      query: (config: any, values?: any) => {
        const text: string = typeof config === 'string' ? config : config.text;
        const replaced = translate[text];
        if (!replaced) return connection.query(config, values);
        return connection.query(replaced);
      },
      release: () => {
        pin.depth--;
      },
      on: () => undefined,
      removeListener: () => undefined,
    });
  }
}

/**
 * Prisma's client merges findUnique calls made in the same tick into one query, run from the
 * async context of whichever request asked first — on that request's connection, under its
 * tenant. With one client shared by concurrent requests that would answer one tenant's
 * lookup from another tenant's transaction, so merging is switched off (each call then runs
 * in its caller's context). The client's internals are checked, not assumed: if they change,
 * the server refuses to start rather than share a client unsafely.
 */
function disableRequestBatching(prisma: PrismaClient): void {
  // biome-ignore lint/suspicious/noExplicitAny: Prisma's request handler is not public API
  const loader = (prisma as any)._requestHandler?.dataloader;
  if (typeof loader?.options?.batchBy !== 'function' || typeof loader.request !== 'function') {
    throw new Error(
      "cannot switch off Prisma's request batching (client internals changed): refusing to share one client",
    );
  }
  loader.options.batchBy = () => undefined;
}

export interface PinnedClientOptions {
  preparedStatements?: boolean;
  statementNameGenerator?: (query: { sql: string }) => string;
}

/**
 * One Prisma client that runs each request's queries on the connection the transaction runner
 * has already checked out and opened a transaction on, so a request's Prisma queries pay for
 * no interactive-transaction bookkeeping of Prisma's own. The connection is found through the
 * request's async context (AsyncLocalStorage), so one client — one query compiler and plan
 * cache — serves every connection of the pool. Each request gets a revocable view of the
 * client: once its transaction ends, every access through that view throws, and a query still
 * in flight from its async context finds no connection.
 */
export class PinnedClients {
  private readonly pins = new AsyncLocalStorage<Pin>();
  private client: PrismaClient | undefined;

  constructor(private readonly options: PinnedClientOptions = {}) {}

  async run<T>(connection: pg.PoolClient, fn: (client: PrismaClient) => Promise<T>): Promise<T> {
    const pin: Pin = { connection, depth: 0 };
    let view: { proxy: PrismaClient; revoke: () => void } | undefined;
    try {
      // Awaited inside the context: a Prisma query is a lazy thenable that runs when awaited.
      return await this.pins.run(pin, async () => {
        view = Proxy.revocable(this.client ?? this.create(), {});
        return await fn(view.proxy);
      });
    } finally {
      view?.revoke();
      pin.connection = null;
    }
  }

  /** The name the statement is prepared under on each connection (undefined: sent unnamed). */
  statementName(sql: string): string | undefined {
    return this.options.statementNameGenerator?.({ sql }) || undefined;
  }

  async close(): Promise<void> {
    await this.client?.$disconnect();
  }

  private create(): PrismaClient {
    const adapter = new PrismaPg(new PinnedPool(this.pins), {
      ...(this.options.statementNameGenerator && { statementNameGenerator: this.options.statementNameGenerator }),
    });
    const prisma = new PrismaClient({ adapter });
    disableRequestBatching(prisma);
    this.client = prisma;
    return prisma;
  }
}
