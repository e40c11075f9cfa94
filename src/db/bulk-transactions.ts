import type { DbClients } from './client.js';
import { createTransactionRunner, type TransactionRunner } from './context.js';

export interface BulkTransactions {
  /**
   * REPEATABLE READ: every statement sees the snapshot taken by the first one, so a read in
   * many batches (an export) is consistent. The isolation level is set by BEGIN, before the
   * context function, which stays the first statement of the transaction.
   */
  snapshot: TransactionRunner;
  /** Big writes (imports): the usual contexts; bounded by the pool's statement timeouts. */
  write: TransactionRunner;
}

/** Long-running transactions for tenant export and import; same contexts as the request runner. */
export function createBulkTransactions(
  clients: Pick<DbClients, 'pool' | 'pinned' | 'platform' | 'statementTimeoutMs'>,
): BulkTransactions {
  const { statementTimeoutMs } = clients;
  return {
    snapshot: createTransactionRunner(clients, { isolation: 'repeatable read', statementTimeoutMs }),
    write: createTransactionRunner(clients, { statementTimeoutMs }),
  };
}
