import type { TenantStatus } from '../../domain/tenant/status.js';
import type { Tx } from '../context.js';

export interface UsageCounts {
  users: number;
  students: number;
  courses: number;
  enrollments: number;
}

export const USAGE_KEYS = ['users', 'students', 'courses', 'enrollments'] as const;

type Grouped = { tenantId: string; _count: { _all: number } }[];

/** Row counts per tenant; the platform role sees every tenant, a tenant context only its own. */
export function usageRepository(tx: Tx) {
  return {
    async forTenant(tenantId: string): Promise<UsageCounts> {
      const where = { tenantId };
      return {
        users: await tx.user.count({ where }),
        students: await tx.student.count({ where }),
        courses: await tx.course.count({ where }),
        enrollments: await tx.enrollment.count({ where }),
      };
    },

    tenants(): Promise<{ id: string; slug: string; status: TenantStatus }[]> {
      return tx.tenant.findMany({ select: { id: true, slug: true, status: true }, orderBy: { id: 'asc' } }) as Promise<
        { id: string; slug: string; status: TenantStatus }[]
      >;
    },

    /** One grouped query per table (never one per tenant); tenants without rows are absent. */
    async byTenant(): Promise<Map<string, UsageCounts>> {
      const users = await tx.user.groupBy({ by: ['tenantId'], _count: { _all: true } });
      const students = await tx.student.groupBy({ by: ['tenantId'], _count: { _all: true } });
      const courses = await tx.course.groupBy({ by: ['tenantId'], _count: { _all: true } });
      const enrollments = await tx.enrollment.groupBy({ by: ['tenantId'], _count: { _all: true } });
      const grouped: Record<keyof UsageCounts, Grouped> = { users, students, courses, enrollments };
      const counts = new Map<string, UsageCounts>();
      for (const key of USAGE_KEYS) {
        for (const g of grouped[key]) {
          const entry = counts.get(g.tenantId) ?? { users: 0, students: 0, courses: 0, enrollments: 0 };
          entry[key] = g._count._all;
          counts.set(g.tenantId, entry);
        }
      }
      return counts;
    },
  };
}
