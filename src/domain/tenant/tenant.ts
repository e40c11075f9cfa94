import { type DomainEvent, domainEvent } from '../events.js';
import { newId } from '../ids.js';
import type { Plan } from './plans.js';
import type { TenantStatus } from './status.js';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
}

export type TenantCreated = DomainEvent<'TenantCreated'>;

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Creates a tenant and records TenantCreated; both are saved in one transaction. */
export function createTenant(input: { name: string; slug: string; plan: Plan; adminUserId: string }): {
  tenant: Tenant;
  event: TenantCreated;
} {
  const tenant: Tenant = { id: newId(), slug: input.slug, name: input.name, status: 'active' };
  const event = domainEvent('TenantCreated', tenant.id, {
    tenantId: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    plan: input.plan,
    adminUserId: input.adminUserId,
  });
  return { tenant, event };
}
