import type { TenantStatus } from '../../domain/tenant/status.js';
import type { Tx } from '../context.js';

export interface UsageCounts {
  users: number;
  students: number;
  courses: number;
  enrollments: number;
}

export const USAGE_KEYS = ['users', 'students', 'courses', 'enrollments'] as const;

export interface TenantCountsRow extends UsageCounts {
  tenantId: string;
  slug: string;
  status: TenantStatus;
}

/** Row counts per tenant; the platform role sees every tenant, a tenant context only its own. */
export function usageRepository(tx: Tx) {
  return {
    /** One tenant's counts, in one statement. */
    async forTenant(tenantId: string): Promise<UsageCounts> {
      const rows = await tx.$queryRaw<UsageCounts[]>`
        SELECT (SELECT count(*)::int FROM users WHERE tenant_id = ${tenantId}::uuid) AS users,
               (SELECT count(*)::int FROM students WHERE tenant_id = ${tenantId}::uuid) AS students,
               (SELECT count(*)::int FROM courses WHERE tenant_id = ${tenantId}::uuid) AS courses,
               (SELECT count(*)::int FROM enrollments WHERE tenant_id = ${tenantId}::uuid) AS enrollments`;
      return rows[0] ?? { users: 0, students: 0, courses: 0, enrollments: 0 };
    },

    /**
     * A page of tenants (every status, by id) with all their counts, in ONE statement: the page
     * is chosen first, then each table is counted for those tenants only (grouped, by the
     * `(tenant_id, …)` indexes), so the cost follows the page, not the platform.
     */
    page(query: { limit: number; after?: string }): Promise<TenantCountsRow[]> {
      const after = query.after ?? null;
      return tx.$queryRaw<TenantCountsRow[]>`
        WITH page AS (
          SELECT id, slug, status FROM tenants
           WHERE ${after}::uuid IS NULL OR id > ${after}::uuid
           ORDER BY id LIMIT ${query.limit}
        )
        SELECT p.id::text AS "tenantId", p.slug, p.status,
               coalesce(u.n, 0)::int AS users, coalesce(s.n, 0)::int AS students,
               coalesce(c.n, 0)::int AS courses, coalesce(e.n, 0)::int AS enrollments
          FROM page p
          LEFT JOIN (SELECT tenant_id, count(*) AS n FROM users
                      WHERE tenant_id IN (SELECT id FROM page) GROUP BY tenant_id) u ON u.tenant_id = p.id
          LEFT JOIN (SELECT tenant_id, count(*) AS n FROM students
                      WHERE tenant_id IN (SELECT id FROM page) GROUP BY tenant_id) s ON s.tenant_id = p.id
          LEFT JOIN (SELECT tenant_id, count(*) AS n FROM courses
                      WHERE tenant_id IN (SELECT id FROM page) GROUP BY tenant_id) c ON c.tenant_id = p.id
          LEFT JOIN (SELECT tenant_id, count(*) AS n FROM enrollments
                      WHERE tenant_id IN (SELECT id FROM page) GROUP BY tenant_id) e ON e.tenant_id = p.id
         ORDER BY p.id`;
    },
  };
}
