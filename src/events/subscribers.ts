import { auditRepository } from '../db/repositories/events.js';
import type { Subscriber } from './dispatcher.js';

/** TenantCreated → the tenant's first audit entry (keyed by the event id, so idempotent). */
export const recordTenantCreated: Subscriber = async (tx, event) => {
  const payload = event.payload as { adminUserId?: string; slug?: string; plan?: string };
  await auditRepository(tx, event.tenantId).record({
    id: event.id,
    action: 'tenant.created',
    actorId: null,
    data: { slug: payload.slug ?? null, plan: payload.plan ?? null, adminUserId: payload.adminUserId ?? null },
  });
};

export const defaultSubscribers: Record<string, Subscriber[]> = {
  TenantCreated: [recordTenantCreated],
};
