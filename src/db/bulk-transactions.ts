import type { PrismaClient } from './client.js';
import { type TransactionRunner, translateDbFailure } from './context.js';

export interface BulkTransactions {
  /**
   * REPEATABLE READ: every statement sees the snapshot taken by the first one, so a read in
   * many batches (an export) is consistent. The isolation level is set by BEGIN, before the
   * context function, which stays the first statement of the transaction.
   */
  snapshot: TransactionRunner;
  /** The usual contexts with room for big writes (imports): a longer transaction timeout. */
  write: TransactionRunner;
}

// Bounded by the pool's idle_in_transaction_session_timeout too: a stalled reader is cut off.
const BULK_TIMEOUT_MS = 10 * 60_000;

function runner(prisma: PrismaClient, isolationLevel?: 'RepeatableRead'): TransactionRunner {
  const options = { maxWait: 5000, timeout: BULK_TIMEOUT_MS, ...(isolationLevel && { isolationLevel }) };
  return {
    async tenant(scope, fn) {
      try {
        return await prisma.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT app.begin_request(${scope.tenantId}::uuid, ${scope.userId}::uuid)`;
          return fn(tx);
        }, options);
      } catch (err) {
        throw translateDbFailure(err);
      }
    },
    async platform(adminId, fn) {
      try {
        return await prisma.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT app.begin_platform(${adminId}::uuid)`;
          return fn(tx);
        }, options);
      } catch (err) {
        throw translateDbFailure(err);
      }
    },
  };
}

/** Long-running transactions for tenant export and import; same contexts as the request runner. */
export function createBulkTransactions(prisma: PrismaClient): BulkTransactions {
  return { snapshot: runner(prisma, 'RepeatableRead'), write: runner(prisma) };
}
