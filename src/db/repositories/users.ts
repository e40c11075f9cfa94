import type { Prisma } from '../../generated/prisma/client.js';
import type { Tx } from '../context.js';
import { guard } from '../errors.js';

export function userRepository(tx: Tx, tenantId: string) {
  return {
    create(data: Omit<Prisma.UserUncheckedCreateInput, 'tenantId'>) {
      return guard(() => tx.user.create({ data: { ...data, tenantId } }), {
        conflict: 'a user with this email already exists',
      });
    },
    get(id: string) {
      return tx.user.findUnique({ where: { tenantId_id: { tenantId, id } } });
    },
    findByEmail(email: string) {
      return tx.user.findUnique({ where: { tenantId_email: { tenantId, email } } });
    },
    count() {
      return tx.user.count({ where: { tenantId } });
    },
    list(query: { limit: number; after?: string }) {
      return tx.user.findMany({
        where: { tenantId, ...(query.after && { id: { gt: query.after } }) },
        orderBy: { id: 'asc' },
        take: query.limit,
      });
    },
    update(id: string, data: Prisma.UserUncheckedUpdateInput) {
      return guard(() => tx.user.update({ where: { tenantId_id: { tenantId, id } }, data }), {
        conflict: 'a user with this email already exists',
        notFound: 'user',
      });
    },
    async remove(id: string): Promise<void> {
      await guard(() => tx.user.delete({ where: { tenantId_id: { tenantId, id } } }), { notFound: 'user' });
    },
  };
}

export function platformAdminRepository(tx: Tx) {
  return {
    findByEmail(email: string) {
      return tx.platformAdmin.findUnique({ where: { email } });
    },
    get(id: string) {
      return tx.platformAdmin.findUnique({ where: { id } });
    },
  };
}
