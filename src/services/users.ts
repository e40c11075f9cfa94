import type { TenantScope } from '../db/context.js';
import { quotaRepository } from '../db/repositories/quotas.js';
import { tenantRefreshStore } from '../db/repositories/refresh-tokens.js';
import { type UserRow, type UserUpdate, userRepository } from '../db/repositories/users.js';
import { Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { TenantRole } from '../domain/roles.js';
import { assertQuota } from '../domain/tenant/quotas.js';
import { assertAnotherAdmin, assertNotSelf, endsSessions, normaliseEmail, sessionsRestartAt } from '../domain/users.js';
import { decodeCursor, type Page, type PageQuery, toPage } from './pagination.js';
import type { Passwords } from './passwords.js';

export interface UserDto {
  id: string;
  email: string;
  name: string;
  role: TenantRole;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export const toUserDto = (u: UserRow): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  active: u.active,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
});

export interface UserInput {
  email: string;
  name: string;
  password: string;
  role: TenantRole;
}

export type UserPatch = Partial<UserInput> & { active?: boolean };

/** Tenant users, on the caller's tenant transaction; the plan's maxUsers is enforced. */
export function createUserService(deps: { passwords: Pick<Passwords, 'hash'> }) {
  const hashPassword = deps.passwords.hash;
  return {
    async list(scope: TenantScope, query: PageQuery): Promise<Page<UserDto>> {
      const rows = await userRepository(scope).list({ limit: query.limit + 1, after: decodeCursor(query.cursor) });
      return toPage(rows, query.limit, toUserDto);
    },

    async get(scope: TenantScope, id: string): Promise<UserDto> {
      const user = await userRepository(scope).get(id);
      if (!user) throw Errors.notFound('user');
      return toUserDto(user);
    },

    /** Hashes first, then checks and consumes the quota under the tenant's lock and inserts. */
    async create(scope: TenantScope, input: UserInput): Promise<UserDto> {
      const passwordHash = await hashPassword(input.password);
      assertQuota('users', await quotaRepository(scope).lock('users'), 1);
      const user = await userRepository(scope).create({
        id: newId(),
        email: normaliseEmail(input.email),
        name: input.name,
        role: input.role,
        passwordHash,
      });
      return toUserDto(user);
    },

    /**
     * A role change, a deactivation or a new password ends the user's sessions: refresh tokens
     * revoked, access tokens refused by the context function from now on. The last active
     * tenant admin can be neither demoted nor deactivated.
     */
    async update(scope: TenantScope, id: string, patch: UserPatch): Promise<UserDto> {
      const { password, email, ...rest } = patch;
      const data: UserUpdate = {
        ...rest,
        ...(email !== undefined && { email: normaliseEmail(email) }),
        ...(password !== undefined && { passwordHash: await hashPassword(password) }),
      };
      if (Object.keys(data).length === 0) return this.get(scope, id);
      const users = userRepository(scope);
      const current = await users.get(id);
      if (!current) throw Errors.notFound('user');
      const demoted = (patch.role !== undefined && patch.role !== 'tenant_admin') || patch.active === false;
      if (current.role === 'tenant_admin' && current.active && demoted) {
        assertAnotherAdmin((await users.lockActiveAdmins()).filter((admin) => admin !== id));
      }
      if (endsSessions(current, patch)) {
        data.tokensValidFrom = sessionsRestartAt();
        await tenantRefreshStore(scope).revokeUser(id);
      }
      return toUserDto(await users.update(id, data));
    },

    async remove(scope: TenantScope, id: string): Promise<void> {
      assertNotSelf(scope.userId, id, 'delete');
      const users = userRepository(scope);
      const current = await users.get(id);
      if (current?.role === 'tenant_admin' && current.active) {
        assertAnotherAdmin((await users.lockActiveAdmins()).filter((admin) => admin !== id));
      }
      // Its refresh tokens go with it (foreign key cascade); its access tokens name no user.
      await users.remove(id);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
