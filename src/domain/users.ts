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
