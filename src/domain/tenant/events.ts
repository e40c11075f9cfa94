import type { Plan } from './plans.js';
import type { TenantStatus } from './status.js';

/** Payloads of the tenant lifecycle's domain events (ids, settings and counts only, never tenant data). */
export interface TenantCreatedPayload {
  tenantId: string;
  slug: string;
  name: string;
  plan: Plan;
  adminUserId: string;
}

/** What a platform admin changed (field names; the values are in the tenant itself). */
export interface TenantUpdatedPayload {
  tenantId: string;
  actorId: string | null;
  changed: string[];
}

export interface TenantPlanChangedPayload {
  tenantId: string;
  actorId: string | null;
  from: string;
  to: string;
}

/** A move of the state machine: suspended, reactivated, deleted or restored. */
export interface TenantStatusChangedPayload {
  tenantId: string;
  actorId: string | null;
  from: TenantStatus;
  to: TenantStatus;
  /** Deleted only: when the sweep purges it unless it is restored first. */
  purgeAfter?: string;
}

/**
 * A tenant written from an export (restored under its ids, or cloned beside its source): the
 * import's record, kept outside the tenant's own tables so that export → import → export stays
 * identical. Counts and the export's checksum only.
 */
export interface TenantImportedPayload {
  tenantId: string;
  actorId: string | null;
  mode: 'restore' | 'clone';
  /** The source tenant's id (a clone's differs from tenantId). */
  sourceId: string;
  counts: Record<string, number>;
  sha256: string | null;
}

/** Written after every row of the tenant is gone: counts only, no data. */
export interface TenantPurgedPayload {
  tenantId: string;
  actorId: string | null;
  counts: Record<string, number>;
}
