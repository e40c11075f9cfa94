import type { TenantRole } from '../../domain/roles.js';
import type { Prisma, User } from '../../generated/prisma/client.js';
import type { TenantScope, Tx } from '../context.js';
import { guard } from '../errors.js';

/** The role column is text with a CHECK constraint listing exactly these roles. */
export type UserRow = Omit<User, 'role'> & { role: TenantRole };
export type UserWrite = Omit<Prisma.UserUncheckedCreateInput, 'tenantId' | 'createdAt' | 'updatedAt'>;
export type UserUpdate = Partial<Omit<UserWrite, 'id'>>;

/** Users of the scope's tenant; tenant_id is named in every query as well as enforced by RLS. */
export function userRepository({ tx, tenantId }: TenantScope) {
  return {
    create(data: UserWrite): Promise<UserRow> {
      return guard(() => tx.user.create({ data: { ...data, tenantId } }) as Promise<UserRow>, {
        conflict: 'a user with this email already exists',
      });
    },
    get(id: string): Promise<UserRow | null> {
      return tx.user.findUnique({ where: { tenantId_id: { tenantId, id } } }) as Promise<UserRow | null>;
    },
    findByEmail(email: string): Promise<UserRow | null> {
      return tx.user.findUnique({ where: { tenantId_email: { tenantId, email } } }) as Promise<UserRow | null>;
    },
    findByExternalSubject(subject: string): Promise<UserRow | null> {
      return tx.user.findUnique({
        where: { tenantId_externalSubject: { tenantId, externalSubject: subject } },
      }) as Promise<UserRow | null>;
    },
    list(query: { limit: number; after?: string }): Promise<UserRow[]> {
      return tx.user.findMany({
        where: { tenantId, ...(query.after && { id: { gt: query.after } }) },
        orderBy: { id: 'asc' },
        take: query.limit,
      }) as Promise<UserRow[]>;
    },
    update(id: string, data: UserUpdate): Promise<UserRow> {
      return guard(() => tx.user.update({ where: { tenantId_id: { tenantId, id } }, data }) as Promise<UserRow>, {
        conflict: 'a user with this email already exists',
        notFound: 'user',
      });
    },
    /**
     * Locks the tenant's active tenant admins (FOR UPDATE, this tenant's rows only) and returns
     * their ids: two concurrent demotions queue here, and the second sees the first's result.
     */
    async lockActiveAdmins(): Promise<string[]> {
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM users
         WHERE tenant_id = ${tenantId}::uuid AND role = 'tenant_admin' AND active
         ORDER BY id FOR UPDATE`;
      return rows.map((r) => r.id);
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
