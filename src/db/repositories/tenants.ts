import type { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../context.js';
import { guard } from '../errors.js';

const withSettings = { settings: true } as const;
export type TenantWithSettings = Prisma.TenantGetPayload<{ include: typeof withSettings }>;

/** Platform-owned tenants table; used on the platform role, or by a tenant for its own row. */
export function tenantRepository(tx: Tx) {
  return {
    create(data: Prisma.TenantUncheckedCreateInput, slug: string) {
      return guard(() => tx.tenant.create({ data }), { conflict: `tenant slug '${slug}' is already taken` });
    },
    createSettings(data: Prisma.TenantSettingsUncheckedCreateInput) {
      return tx.tenantSettings.create({ data });
    },
    get(id: string): Promise<TenantWithSettings | null> {
      return tx.tenant.findUnique({ where: { id }, include: withSettings });
    },
    findBySlug(slug: string) {
      return tx.tenant.findUnique({ where: { slug } });
    },
    list(query: { limit: number; after?: string; status?: 'active' | 'suspended' }): Promise<TenantWithSettings[]> {
      const where: Prisma.TenantWhereInput = {};
      if (query.after) where.id = { gt: query.after };
      if (query.status) where.status = query.status;
      return tx.tenant.findMany({ where, orderBy: { id: 'asc' }, take: query.limit, include: withSettings });
    },
    update(id: string, data: Prisma.TenantUncheckedUpdateInput) {
      return guard(() => tx.tenant.update({ where: { id }, data, include: withSettings }), { notFound: 'tenant' });
    },
    updateSettings(tenantId: string, data: Prisma.TenantSettingsUncheckedUpdateInput) {
      return guard(() => tx.tenantSettings.update({ where: { tenantId }, data }), { notFound: 'tenant' });
    },
    async remove(id: string): Promise<void> {
      await guard(() => tx.tenant.delete({ where: { id } }), { notFound: 'tenant' });
    },
  };
}
