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
    upsert(data: { id: string; email: string; name: string; passwordHash: string }) {
      return tx.platformAdmin.upsert({
        where: { email: data.email },
        create: data,
        update: { passwordHash: data.passwordHash },
      });
    },
  };
}
