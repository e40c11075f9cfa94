import { Errors } from '../errors.js';

export const TENANT_STATUSES = ['active', 'suspended', 'deleted'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export type TenantAction = 'suspend' | 'reactivate' | 'delete' | 'restore' | 'purge';

/**
 * The tenant state machine (the database enforces the same moves, sql/05_lifecycle.sql).
 * `purge` leaves no status behind: the tenant and every row of it are gone.
 */
export const TRANSITIONS: Record<TenantAction, { from: readonly TenantStatus[]; to: TenantStatus | 'purged' }> = {
  suspend: { from: ['active'], to: 'suspended' },
  reactivate: { from: ['suspended'], to: 'active' },
  delete: { from: ['active', 'suspended'], to: 'deleted' },
  restore: { from: ['deleted'], to: 'active' },
  purge: { from: ['deleted'], to: 'purged' },
};

/** Whether an action is allowed from a status. */
export const canTransition = (current: TenantStatus, action: TenantAction): boolean =>
  TRANSITIONS[action].from.includes(current);

/** Refuses an action the current status does not allow: 409 invalid_transition naming the status. */
export function assertTransition(current: TenantStatus, action: TenantAction): void {
  if (!canTransition(current, action)) throw Errors.invalidTransition(action, current);
}

/** The status an action leads to from the current one; 409 invalid_transition when it is not allowed. */
export function transition(current: TenantStatus, action: Exclude<TenantAction, 'purge'>): TenantStatus {
  assertTransition(current, action);
  return TRANSITIONS[action].to as TenantStatus;
}

/** Restoring is allowed until the grace period ends; after it the tenant can only be purged. */
export function assertRestorable(purgeAfter: Date | null, now: Date): void {
  if (purgeAfter && purgeAfter.getTime() <= now.getTime()) {
    throw Errors.invalidTransition('restore', 'deleted and past its grace period');
  }
}

/** When a tenant deleted now is purged by the sweep. */
export const purgeAfter = (deletedAt: Date, graceDays: number): Date =>
  new Date(deletedAt.getTime() + graceDays * 24 * 60 * 60 * 1000);
