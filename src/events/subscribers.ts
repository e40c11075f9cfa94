import { platformAuditRepository } from '../db/repositories/events.js';
import type { Subscribers } from './dispatcher.js';

/** Every subscriber is idempotent: delivery is at least once, so each write is keyed by the event id. */
export const defaultSubscribers: Subscribers = {
  /** TenantCreated → the tenant's provisioning entry (the request that created it has its own, tenant.created). */
  TenantCreated: [
    async (scope, event) => {
      const { slug, plan, adminUserId } = event.payload;
      await platformAuditRepository(scope).record(event.tenantId, {
        id: event.id,
        action: 'tenant.provisioned',
        actorId: null,
        actorType: 'system',
        targetType: 'tenant',
        targetId: event.tenantId,
        data: { slug, plan, adminUserId },
      });
    },
  ],
};
