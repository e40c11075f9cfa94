import { DomainError, Errors } from '../domain/errors.js';

/**
 * The one place where database failures become domain errors. Repositories name what a
 * refusal means in their terms (`guard`); the transaction runner passes everything that
 * leaves a transaction through `translateDbError`, so nothing above db/ ever sees a driver
 * error.
 */

export interface RefusalNames {
  /** Unique violation → 409 conflict with this message. */
  conflict?: string;
  /** Missing row or a foreign key naming a row the tenant cannot see → 404 of this thing. */
  notFound?: string;
}

const CONTEXT_REFUSALS: Record<string, () => DomainError> = {
  TN404: () => Errors.unauthorized('the token no longer names an active tenant user'),
  TN401: () => Errors.unauthorized('the token no longer names an active tenant user'),
  TN403: () => Errors.tenantSuspended(),
  TN400: () => Errors.unauthorized(),
  // The tenant state machine's trigger (sql/05_lifecycle.sql): the service checks first and
  // names the status; this is the backstop when a concurrent change won the race.
  TN409: () => Errors.invalidTransition('make this change to', 'no longer in a status that allows it'),
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

function prismaCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined;
}

/**
 * Domain errors pass through; the context function's refusals (unknown tenant or user,
 * suspended tenant), named refusals (unique → conflict, missing/foreign row → not found) and
 * outages (503) are translated; anything else is returned unchanged, to be answered with a
 * generic 500 that never echoes it.
 */
export function translateDbError(err: unknown, names: RefusalNames = {}): unknown {
  if (err instanceof DomainError) return err;
  const state = sqlState(err);
  const refusal = state ? CONTEXT_REFUSALS[state] : undefined;
  if (refusal) return refusal();
  const prisma = prismaCode(err);
  if ((prisma === 'P2002' || state === '23505') && names.conflict) return Errors.conflict(names.conflict);
  if ((prisma === 'P2025' || prisma === 'P2003' || state === '23503') && names.notFound) {
    return Errors.notFound(names.notFound);
  }
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

/** Runs a repository operation, translating the refusals it names. */
export async function guard<T>(op: () => Promise<T>, names: RefusalNames): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw translateDbError(err, names);
  }
}
