import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

const NOT_PINNED = 'database access outside a request transaction: the transaction this client belonged to has ended';

/**
 * A pg.Pool stand-in for Prisma's driver adapter that runs every query on the one connection
 * pinned to it — the connection holding the request's open transaction. With nothing pinned
 * it refuses (fail closed) rather than opening a connection of its own.
 */
class PinnedPool extends pg.Pool {
  current: pg.PoolClient | null = null;

  constructor() {
    super({ max: 1 });
  }

  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg.Pool.query's overloads
  override query(config: any, values?: any): any {
    if (!this.current) return Promise.reject(new Error(NOT_PINNED));
    return this.current.query(config, values);
  }

  private depth = 0;

  /**
   * Prisma opens an internal transaction for some multi-statement operations (nested writes).
   * On a pinned connection the request's transaction is already open, so its BEGIN, COMMIT
   * and ROLLBACK become a savepoint, its release and a rollback to it: the operation stays
   * atomic and can never end the request's transaction early.
   */
  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg.Pool.connect's overloads
  override connect(): any {
    const connection = this.current;
    if (!connection) return Promise.reject(new Error(NOT_PINNED));
    const savepoint = `prisma_internal_${++this.depth}`;
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
        this.depth--;
      },
      on: () => undefined,
      removeListener: () => undefined,
    });
  }
}

interface Slot {
  pinned: PinnedPool;
  prisma: PrismaClient;
}

export interface PinnedClientOptions {
  preparedStatements?: boolean;
  statementNameGenerator?: (query: { sql: string }) => string;
}

/**
 * Prisma clients that run on a connection the transaction runner has already checked out and
 * opened a transaction on, so a request's Prisma queries pay for no interactive-transaction
 * bookkeeping of Prisma's own. Created on demand (at most one per connection in use) and
 * reused oldest-first. Each request gets a revocable view of its client: once the request's
 * transaction ends, every access through that view throws, and the client itself is unpinned.
 */
export class PinnedClients {
  private readonly idle: Slot[] = [];
  private readonly all: Slot[] = [];

  constructor(private readonly options: PinnedClientOptions = {}) {}

  async run<T>(connection: pg.PoolClient, fn: (client: PrismaClient) => Promise<T>): Promise<T> {
    const slot = this.idle.shift() ?? this.create();
    slot.pinned.current = connection;
    const view = Proxy.revocable(slot.prisma, {});
    try {
      return await fn(view.proxy);
    } finally {
      view.revoke();
      slot.pinned.current = null;
      this.idle.push(slot);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((s) => s.prisma.$disconnect()));
  }

  private create(): Slot {
    const pinned = new PinnedPool();
    const adapter = new PrismaPg(pinned, {
      ...(this.options.statementNameGenerator && { statementNameGenerator: this.options.statementNameGenerator }),
    });
    const slot = { pinned, prisma: new PrismaClient({ adapter }) };
    this.all.push(slot);
    return slot;
  }
}
