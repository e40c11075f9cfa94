import { createHash } from 'node:crypto';
import type { PlatformRunner, TenantRunner, TenantScope } from '../db/context.js';
import { quotaRepository } from '../db/repositories/quotas.js';
import { tenantRepository } from '../db/repositories/tenants.js';
import { type UserRow, userRepository } from '../db/repositories/users.js';
import { DomainError, Errors } from '../domain/errors.js';
import { type ExternalIdentity, tenantReference } from '../domain/external-identity.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { assertQuota } from '../domain/tenant/quotas.js';
import { NO_PASSWORD, normaliseEmail } from '../domain/users.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// A user's email is unique per tenant; a provider subject without a free one gets this stand-in.
const standInEmail = (subject: string) =>
  `${createHash('sha256').update(subject).digest('hex').slice(0, 24)}@external.invalid`;

/**
 * Maps a verified identity-provider token to a tenant user. The tenant claim names an active
 * tenant by id or slug (an unknown or deleted one is 401, a suspended one 403). The subject is
 * the user's `external_subject`; the first token of a subject provisions the user (no password,
 * the plan's maxUsers counted under the tenant's quota lock, in one transaction). The
 * provider's role is the truth: a newer token naming another role updates the stored role and
 * ends the sessions issued before it, so tokens with the old role are refused by the context
 * function as usual. A deactivated user stays deactivated whatever the provider says.
 */
export function createExternalUsers(deps: { tenantDb: TenantRunner; platformDb: PlatformRunner }) {
  async function findOrProvision(scope: TenantScope, identity: ExternalIdentity): Promise<UserRow> {
    const users = userRepository(scope);
    const existing = await users.findByExternalSubject(identity.subject);
    if (!existing) {
      assertQuota('users', await quotaRepository(scope).lock('users'), 1);
      const claimed = identity.email && EMAIL.test(identity.email) ? normaliseEmail(identity.email) : undefined;
      const email = claimed && !(await users.findByEmail(claimed)) ? claimed : standInEmail(identity.subject);
      return users.create({
        id: newId(),
        email,
        name: identity.name ?? identity.subject.slice(0, 200),
        role: identity.role,
        passwordHash: NO_PASSWORD,
        externalSubject: identity.subject,
      });
    }
    const newer = existing.tokensValidFrom === null || identity.issuedAt * 1000 >= existing.tokensValidFrom.getTime();
    if (existing.role === identity.role || !existing.active || !newer) return existing;
    if (existing.role === 'tenant_admin') {
      const others = (await users.lockActiveAdmins()).filter((id) => id !== existing.id);
      if (others.length === 0) throw Errors.forbidden('the tenant would lose its last active tenant admin');
    }
    return users.update(existing.id, { role: identity.role, tokensValidFrom: new Date(identity.issuedAt * 1000) });
  }

  return {
    async principalFor(identity: ExternalIdentity): Promise<Principal> {
      const ref = tenantReference(identity.tenant);
      const tenant = ref
        ? await deps.platformDb.platform(null, ({ tx }) =>
            'id' in ref ? tenantRepository(tx).get(ref.id) : tenantRepository(tx).findBySlug(ref.slug),
          )
        : null;
      if (!tenant || tenant.status === 'deleted') throw Errors.invalidToken('the token names no tenant');
      if (tenant.status !== 'active') throw Errors.tenantSuspended();
      const run = () =>
        deps.tenantDb.tenant({ tenantId: tenant.id, userId: null }, (scope) => findOrProvision(scope, identity));
      // Two first requests of one subject race to provision it: the loser reads the winner's row.
      const user = await run().catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'conflict') return run();
        throw err;
      });
      return { kind: 'tenant', tenantId: tenant.id, userId: user.id, role: identity.role, issuedAt: identity.issuedAt };
    },
  };
}

export type ExternalUsers = ReturnType<typeof createExternalUsers>;
