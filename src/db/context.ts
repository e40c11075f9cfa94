import type { Prisma, PrismaClient } from './client.js';

/** The transaction client a request's services and repositories work on. */
export type Tx = Prisma.TransactionClient;

export interface TenantScope {
  tenantId: string;
  userId: string | null;
}

export class TenantContextError extends Error {
  constructor(readonly reason: 'unknown_tenant' | 'tenant_suspended' | 'unknown_user') {
    super(reason);
  }
}

const REASONS: Record<string, TenantContextError['reason']> = {
  TN404: 'unknown_tenant',
  TN403: 'tenant_suspended',
  TN401: 'unknown_user',
};

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
  /** Runs fn in a transaction switched to the platform role (SET LOCAL ROLE). */
  platform<T>(adminId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T>;
}

const TX_OPTIONS = { maxWait: 5000, timeout: 20000 } as const;

export function createTransactionRunner(prisma: PrismaClient): TransactionRunner {
  return {
    async tenant(scope, fn) {
      try {
        return await prisma.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT app.begin_request(${scope.tenantId}::uuid, ${scope.userId}::uuid)`;
          return fn(tx);
        }, TX_OPTIONS);
      } catch (err) {
        const reason = REASONS[sqlState(err) ?? ''];
        throw reason ? new TenantContextError(reason) : err;
      }
    },
    platform(adminId, fn) {
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT app.begin_platform(${adminId}::uuid)`;
        return fn(tx);
      }, TX_OPTIONS);
    },
  };
}
