import { DomainError, Errors } from '../domain/errors.js';

function prismaCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('P') ? code : undefined;
}

/**
 * Translates the database's expected refusals into domain errors at the repository
 * boundary: unique violations become `conflict`, a missing row `not_found`. Anything else
 * is rethrown untouched (and answered with a generic 500 that never echoes it).
 */
export function translateDbError(err: unknown, what: { conflict?: string; notFound?: string }): never {
  if (err instanceof DomainError) throw err;
  const code = prismaCode(err);
  if (code === 'P2002' && what.conflict) throw Errors.conflict(what.conflict);
  if (code === 'P2025' && what.notFound) throw Errors.notFound(what.notFound);
  if (code === 'P2003' && what.notFound) throw Errors.notFound(what.notFound);
  throw err;
}

export async function guard<T>(op: () => Promise<T>, what: { conflict?: string; notFound?: string }): Promise<T> {
  try {
    return await op();
  } catch (err) {
    translateDbError(err, what);
  }
}
