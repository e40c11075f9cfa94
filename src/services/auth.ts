import type { TransactionRunner, Tx } from '../db/context.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { platformAdminRepository, userRepository } from '../db/repositories/users.js';
import { Errors } from '../domain/errors.js';
import type { Principal } from '../domain/roles.js';
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
export function createAuthService(deps: { db: TransactionRunner; tokens: TokenService; refresh: RefreshTokens }) {
  async function pair(principal: Principal, refreshToken?: string): Promise<TokenPair> {
    const { accessToken, expiresIn } = await deps.tokens.issue(principal);
    const tenantId = principal.kind === 'tenant' ? principal.tenantId : null;
    const refresh =
      refreshToken ??
      (tenantId
        ? await deps.db.tenant({ tenantId, userId: principal.userId }, (tx) =>
            deps.refresh.issue(tx, tenantId, principal.userId),
          )
        : await deps.db.platform(principal.userId, (tx) => deps.refresh.issue(tx, null, principal.userId)));
    return { accessToken, refreshToken: refresh, tokenType: 'Bearer', expiresIn };
  }

  return {
    async login(input: { tenant: string; email: string; password: string }): Promise<TokenPair> {
      // Resolving a slug is a platform lookup; the user is then read under that tenant's context.
      const tenant = await deps.db.platform(null, (tx) => tenantRepository(tx).findBySlug(input.tenant));
      const user =
        tenant?.status === 'active'
          ? await deps.db.tenant({ tenantId: tenant.id, userId: null }, (tx) =>
              userRepository(tx, tenant.id).findByEmail(input.email.toLowerCase()),
            )
          : null;
      const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
      if (!tenant || !user || !ok) throw Errors.unauthorized(INVALID_LOGIN);
      return pair({ kind: 'tenant', userId: user.id, tenantId: tenant.id, role: user.role });
    },

    async platformLogin(input: { email: string; password: string }): Promise<TokenPair> {
      const admin = await deps.db.platform(null, (tx) =>
        platformAdminRepository(tx).findByEmail(input.email.toLowerCase()),
      );
      const ok = await verifyPassword(admin?.passwordHash ?? (await dummyPasswordHash()), input.password);
      if (!admin || !ok) throw Errors.unauthorized('invalid email or password');
      return pair({ kind: 'platform', userId: admin.id, role: 'platform_admin' });
    },

    /** Rotates a refresh token; the new access token carries the user's current role. */
    async refresh(refreshToken: string): Promise<TokenPair> {
      const { tenantId, subjectId, next } = await deps.refresh.rotate(refreshToken);
      if (!tenantId) {
        const admin = await deps.db.platform(null, (tx) => platformAdminRepository(tx).get(subjectId));
        if (!admin) throw Errors.unauthorized('invalid refresh token');
        return pair({ kind: 'platform', userId: admin.id, role: 'platform_admin' }, next);
      }
      const user = await deps.db
        .tenant({ tenantId, userId: subjectId }, (tx) => userRepository(tx, tenantId).get(subjectId))
        .catch(() => null);
      if (!user) throw Errors.unauthorized('invalid refresh token');
      return pair({ kind: 'tenant', tenantId, userId: user.id, role: user.role }, next);
    },

    logout: (refreshToken: string) => deps.refresh.revoke(refreshToken),

    /** The caller's profile, on the request's transaction (tenant or platform). */
    async me(tx: Tx, principal: Principal) {
      if (principal.kind === 'platform') {
        const admin = await platformAdminRepository(tx).get(principal.userId);
        if (!admin) throw Errors.unauthorized();
        return {
          user: { id: admin.id, email: admin.email, name: admin.name, role: 'platform_admin' as const },
          tenant: null,
        };
      }
      const user = await userRepository(tx, principal.tenantId).get(principal.userId);
      const tenant = await tenantRepository(tx).get(principal.tenantId);
      if (!user || !tenant) throw Errors.unauthorized();
      return {
        user: { id: user.id, email: user.email, name: user.name, role: user.role },
        tenant: toTenantDto(tenant),
      };
    },

    async tenantSlug(tx: Tx, tenantId: string): Promise<string | undefined> {
      return (await tenantRepository(tx).get(tenantId))?.slug;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
