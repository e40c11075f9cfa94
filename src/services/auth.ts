import type { PlatformRunner, TenantRunner, TenantScope } from '../db/context.js';
import { ownTenantRepository, tenantRepository } from '../db/repositories/tenants.js';
import { platformAdminRepository, userRepository } from '../db/repositories/users.js';
import { DomainError, Errors } from '../domain/errors.js';
import { assertPasswordStrength } from '../domain/passwords.js';
import type { Principal } from '../domain/roles.js';
import { normaliseEmail, sessionsRestartAt } from '../domain/users.js';
import { emailHash, type LoginFailureReason, type LoginGuard } from './login-guard.js';
import type { Passwords } from './passwords.js';
import type { RefreshTokens } from './refresh-tokens.js';
import { toTenantDto } from './tenant-dto.js';
import type { TokenService } from './tokens.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

const INVALID_LOGIN = 'invalid tenant, email or password';

/** Login and identity. Unknown tenant, unknown user and wrong password fail identically. */
export function createAuthService(deps: {
  tenantDb: TenantRunner;
  platformDb: PlatformRunner;
  tokens: TokenService;
  refresh: RefreshTokens;
  passwords: Passwords;
  guard: LoginGuard;
}) {
  const { guard, passwords } = deps;

  /**
   * The flood-protected part of both logins: refused at once while the account or the address
   * is blocked (before any lookup or hash), every failure counted, logged and reported.
   */
  async function guarded<T>(
    who: { tenant: string | null; email: string; clientAddress: string },
    attempt: (fail: (reason: LoginFailureReason) => Promise<never>) => Promise<T>,
  ): Promise<T> {
    const key = { account: `${who.tenant ?? 'platform'} ${who.email}`, clientAddress: who.clientAddress };
    const report = (reason: LoginFailureReason) =>
      guard.report({ tenant: who.tenant, emailHash: emailHash(who.email), clientAddress: who.clientAddress, reason });
    try {
      await guard.admit(key);
    } catch (err) {
      report('throttled');
      throw err;
    }
    const fail = async (reason: LoginFailureReason): Promise<never> => {
      await guard.failed(key);
      report(reason);
      throw Errors.unauthorized(who.tenant === null ? 'invalid email or password' : INVALID_LOGIN);
    };
    let result: T;
    try {
      result = await attempt(fail);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'service_unavailable') report('busy');
      throw err;
    }
    await guard.succeeded(key);
    return result;
  }

  async function pair(principal: Principal, refreshToken?: string): Promise<TokenPair> {
    const { accessToken, expiresIn } = await deps.tokens.issue(principal);
    const tenantId = principal.kind === 'tenant' ? principal.tenantId : null;
    const refresh = refreshToken ?? (await deps.refresh.issue(tenantId, principal.userId));
    return { accessToken, refreshToken: refresh, tokenType: 'Bearer', expiresIn };
  }

  return {
    async login(input: { tenant: string; email: string; password: string }, clientAddress: string): Promise<TokenPair> {
      const slug = input.tenant.toLowerCase();
      const email = normaliseEmail(input.email);
      return guarded({ tenant: slug, email, clientAddress }, async (fail) => {
        // Resolving a slug is a platform lookup; the user is then read under that tenant's context.
        const tenant = await deps.platformDb.platform(null, ({ tx }) => tenantRepository(tx).findBySlug(slug));
        const user =
          tenant?.status === 'active'
            ? await deps.tenantDb.tenant({ tenantId: tenant.id, userId: null }, (scope) =>
                userRepository(scope).findByEmail(email),
              )
            : null;
        // Always one verification (against a dummy hash when there is no user): same cost either way.
        const ok = await passwords.verify(user?.passwordHash, input.password);
        if (!tenant) return fail('unknown_tenant');
        if (tenant.status !== 'active') return fail('tenant_inactive');
        if (!user) return fail('unknown_user');
        if (!ok) return fail('bad_password');
        if (!user.active) return fail('user_inactive');
        return pair({ kind: 'tenant', userId: user.id, tenantId: tenant.id, role: user.role });
      });
    },

    async platformLogin(input: { email: string; password: string }, clientAddress: string): Promise<TokenPair> {
      const email = normaliseEmail(input.email);
      return guarded({ tenant: null, email, clientAddress }, async (fail) => {
        const admin = await deps.platformDb.platform(null, ({ tx }) => platformAdminRepository(tx).findByEmail(email));
        const ok = await passwords.verify(admin?.passwordHash, input.password);
        if (!admin) return fail('unknown_user');
        if (!ok) return fail('bad_password');
        return pair({ kind: 'platform', userId: admin.id, role: 'platform_admin' });
      });
    },

    /** Rotates a refresh token; the new access token carries the user's current role. */
    async refresh(refreshToken: string): Promise<TokenPair> {
      const { tenantId, subjectId, next } = await deps.refresh.rotate(refreshToken);
      if (!tenantId) {
        const admin = await deps.platformDb.platform(null, ({ tx }) => platformAdminRepository(tx).get(subjectId));
        if (!admin) throw Errors.unauthorized('invalid refresh token');
        return pair({ kind: 'platform', userId: admin.id, role: 'platform_admin' }, next);
      }
      const user = await deps.tenantDb
        .tenant({ tenantId, userId: subjectId }, (scope) => userRepository(scope).get(subjectId))
        .catch(() => null);
      if (!user) throw Errors.unauthorized('invalid refresh token');
      return pair({ kind: 'tenant', tenantId, userId: user.id, role: user.role }, next);
    },

    logout: (refreshToken: string) => deps.refresh.revoke(refreshToken),

    /**
     * A tenant user changes their own password: the current one is checked (failures count
     * against the account like failed logins), the new one must be strong; every other session
     * ends (refresh tokens revoked, older access tokens refused) and a new pair is returned.
     */
    async changePassword(
      scope: TenantScope,
      input: { currentPassword: string; newPassword: string },
      clientAddress: string,
    ): Promise<TokenPair> {
      const users = userRepository(scope);
      const user = scope.userId ? await users.get(scope.userId) : null;
      if (!user) throw Errors.unauthorized();
      const attempt = { account: `user ${user.id}`, clientAddress };
      await guard.admit(attempt);
      if (!(await passwords.verify(user.passwordHash, input.currentPassword))) {
        await guard.failed(attempt);
        guard.report({
          tenant: scope.tenantId,
          emailHash: emailHash(user.email),
          clientAddress,
          reason: 'bad_password',
        });
        throw Errors.validation('the current password is wrong', [
          { path: 'currentPassword', message: 'is not the current password' },
        ]);
      }
      await guard.succeeded(attempt);
      assertPasswordStrength(input.newPassword, user.email);
      if (input.newPassword === input.currentPassword) {
        throw Errors.validation('the new password is the current one', [
          { path: 'newPassword', message: 'must differ from the current password' },
        ]);
      }
      await users.update(user.id, {
        passwordHash: await passwords.hash(input.newPassword),
        tokensValidFrom: sessionsRestartAt(),
      });
      const refreshToken = await deps.refresh.restart(scope, user.id);
      return pair({ kind: 'tenant', tenantId: scope.tenantId, userId: user.id, role: user.role }, refreshToken);
    },

    /** A tenant user's profile and tenant, on the request's tenant transaction. */
    async me(scope: TenantScope) {
      const user = scope.userId ? await userRepository(scope).get(scope.userId) : null;
      const tenant = await ownTenantRepository(scope).get();
      if (!user || !tenant) throw Errors.unauthorized();
      return {
        user: { id: user.id, email: user.email, name: user.name, role: user.role },
        tenant: toTenantDto(tenant),
      };
    },

    /** A platform admin's profile (no tenant). */
    async platformMe(adminId: string) {
      const admin = await deps.platformDb.platform(adminId, ({ tx }) => platformAdminRepository(tx).get(adminId));
      if (!admin) throw Errors.unauthorized();
      return {
        user: { id: admin.id, email: admin.email, name: admin.name, role: 'platform_admin' as const },
        tenant: null,
      };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
