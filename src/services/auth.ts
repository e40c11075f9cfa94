import type { PlatformRunner, TenantRunner, TenantScope } from '../db/context.js';
import { ownTenantRepository, tenantRepository } from '../db/repositories/tenants.js';
import { platformAdminRepository, userRepository } from '../db/repositories/users.js';
import { Errors } from '../domain/errors.js';
import type { Principal } from '../domain/roles.js';
import { normaliseEmail } from '../domain/users.js';
import { dummyPasswordHash, verifyPassword } from './passwords.js';
import type { RefreshTokens } from './refresh-tokens.js';
import { toTenantDto } from './tenants.js';
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
}) {
  async function pair(principal: Principal, refreshToken?: string): Promise<TokenPair> {
    const { accessToken, expiresIn } = await deps.tokens.issue(principal);
    const tenantId = principal.kind === 'tenant' ? principal.tenantId : null;
    const refresh = refreshToken ?? (await deps.refresh.issue(tenantId, principal.userId));
    return { accessToken, refreshToken: refresh, tokenType: 'Bearer', expiresIn };
  }

  return {
    async login(input: { tenant: string; email: string; password: string }): Promise<TokenPair> {
      // Resolving a slug is a platform lookup; the user is then read under that tenant's context.
      const tenant = await deps.platformDb.platform(null, ({ tx }) => tenantRepository(tx).findBySlug(input.tenant));
      const user =
        tenant?.status === 'active'
          ? await deps.tenantDb.tenant({ tenantId: tenant.id, userId: null }, (scope) =>
              userRepository(scope).findByEmail(normaliseEmail(input.email)),
            )
          : null;
      const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
      if (!tenant || !user || !ok) throw Errors.unauthorized(INVALID_LOGIN);
      return pair({ kind: 'tenant', userId: user.id, tenantId: tenant.id, role: user.role });
    },

    async platformLogin(input: { email: string; password: string }): Promise<TokenPair> {
      const admin = await deps.platformDb.platform(null, ({ tx }) =>
        platformAdminRepository(tx).findByEmail(normaliseEmail(input.email)),
      );
      const ok = await verifyPassword(admin?.passwordHash ?? (await dummyPasswordHash()), input.password);
      if (!admin || !ok) throw Errors.unauthorized('invalid email or password');
      return pair({ kind: 'platform', userId: admin.id, role: 'platform_admin' });
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
