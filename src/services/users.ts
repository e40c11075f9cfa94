import type { Tx } from '../db/context.js';
import { userRepository } from '../db/repositories/users.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { TenantRole } from '../domain/roles.js';
import { effectiveLimits } from '../domain/tenant/tenant.js';
import type { User } from '../generated/prisma/client.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';
import { hashPassword } from './passwords.js';

export interface UserDto {
  id: string;
  email: string;
  name: string;
  role: TenantRole;
  createdAt: string;
  updatedAt: string;
}

export const toUserDto = (u: User): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
});

export interface UserInput {
  email: string;
  name: string;
  password: string;
  role: TenantRole;
}

/** Tenant users. Runs on the caller's tenant transaction; the plan's maxUsers is enforced. */
export function createUserService() {
  return {
    async list(tx: Tx, tenantId: string, query: PageQuery): Promise<Page<UserDto>> {
      const rows = await userRepository(tx, tenantId).list({
        limit: query.limit + 1,
        after: decodeCursor(query.cursor),
      });
      return toPage(rows, query.limit, toUserDto);
    },

    async get(tx: Tx, tenantId: string, id: string): Promise<UserDto> {
      const user = await userRepository(tx, tenantId).get(id);
      if (!user) throw Errors.notFound('user');
      return toUserDto(user);
    },

    async create(tx: Tx, tenantId: string, input: UserInput): Promise<UserDto> {
      const users = userRepository(tx, tenantId);
      const settings = await tx.tenantSettings.findUnique({
        where: { tenantId },
        select: { plan: true, limits: true },
      });
      const { maxUsers } = effectiveLimits(settings?.plan ?? 'free', settings?.limits);
      if ((await users.count()) >= maxUsers) throw Errors.quotaExceeded('users', maxUsers);
      const passwordHash = await hashPassword(input.password);
      const user = await users.create({
        id: newId(),
        email: input.email.toLowerCase(),
        name: input.name,
        role: input.role,
        passwordHash,
      });
      return toUserDto(user);
    },

    async update(tx: Tx, tenantId: string, id: string, patch: Partial<UserInput>): Promise<UserDto> {
      const { password, email, ...rest } = patch;
      const data = {
        ...rest,
        ...(email !== undefined && { email: email.toLowerCase() }),
        ...(password !== undefined && { passwordHash: await hashPassword(password) }),
      };
      if (Object.keys(data).length === 0) return this.get(tx, tenantId, id);
      return toUserDto(await userRepository(tx, tenantId).update(id, data));
    },

    async remove(tx: Tx, tenantId: string, id: string, actorId: string): Promise<void> {
      if (id === actorId) throw Errors.conflict('you cannot delete your own user');
      await userRepository(tx, tenantId).remove(id);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
