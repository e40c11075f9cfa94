import { Errors } from './errors.js';

/** Emails are compared and stored lower-case: one account per address in a tenant. */
export const normaliseEmail = (email: string): string => email.toLowerCase();

/** A tenant admin may not remove their own account (the tenant would risk losing its admin). */
export function assertNotSelf(actorId: string | null, targetId: string, action: string): void {
  if (actorId === targetId) throw Errors.conflict(`you cannot ${action} your own user`);
}

/**
 * The stored password of a user who has none (imported from an export made without
 * credentials): no password verifies against it, so the user cannot log in until a tenant
 * admin sets one.
 */
export const NO_PASSWORD = '!';

/** A tenant always keeps one active tenant admin: `others` are the active admins besides the target. */
export function assertAnotherAdmin(others: readonly string[]): void {
  if (others.length === 0) throw Errors.conflict('a tenant must keep at least one active tenant admin');
}

/** Changes after which a user's existing tokens must stop working. */
export function endsSessions(
  current: { role: string; active: boolean },
  patch: { role?: string; active?: boolean; password?: string },
): boolean {
  return (
    (patch.role !== undefined && patch.role !== current.role) ||
    (patch.active === false && current.active) ||
    patch.password !== undefined
  );
}

/**
 * The instant from which a user's tokens are valid again: this second, truncated, because a
 * token's `iat` has whole seconds (a token issued right after the change stays valid).
 */
export const sessionsRestartAt = (now = Date.now()): Date => new Date(Math.floor(now / 1000) * 1000);
