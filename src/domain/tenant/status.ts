import { Errors } from '../errors.js';

export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export type TenantAction = 'suspend' | 'reactivate';

const TRANSITIONS: Record<TenantAction, { from: readonly TenantStatus[]; to: TenantStatus }> = {
  suspend: { from: ['active'], to: 'suspended' },
  reactivate: { from: ['suspended'], to: 'active' },
};

/** The status an action leads to from the current one; 409 invalid_transition when it is not allowed. */
export function transition(current: TenantStatus, action: TenantAction): TenantStatus {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(current)) throw Errors.invalidTransition(action, current);
  return rule.to;
}
