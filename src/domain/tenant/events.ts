import type { Plan } from './plans.js';

/** Payloads of the tenant lifecycle's domain events (ids and settings only, never tenant data). */
export interface TenantCreatedPayload {
  tenantId: string;
  slug: string;
  name: string;
  plan: Plan;
  adminUserId: string;
}
