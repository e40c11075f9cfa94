import type { QuotaResource, QuotaUsage } from '../../domain/tenant/quotas.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { TenantScope } from '../context.js';

/** The tenant's quota lock: plan, overrides and the current count, read under the lock. */
export function quotaRepository({ sql, tenantId }: TenantScope) {
  return {
    /**
     * Locks the tenant's settings row until the transaction ends and counts the resource, in
     * one round trip (app.lock_quota). Concurrent limited creates of one tenant queue behind
     * the lock and each counts what the previous one committed; other tenants never wait.
     */
    async lock(resource: QuotaResource): Promise<QuotaUsage> {
      const rows = await sql<QuotaUsage>(
        Prisma.sql`SELECT plan, limits, used FROM app.lock_quota(${tenantId}::uuid, ${resource})`,
      );
      const usage = rows[0];
      // No settings row: the tenant is gone under us; nothing may be created for it.
      if (!usage) return { plan: 'basic', limits: { maxStudents: 0, maxUsers: 0, maxCourses: 0 }, used: 0 };
      return usage;
    },
  };
}
