import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PlatformRunner, TenantRunner, TenantScope } from '../db/context.js';
import { platformRefreshStore, type RefreshStore, tenantRefreshStore } from '../db/repositories/refresh-tokens.js';
import { DomainError, Errors } from '../domain/errors.js';
import { newId } from '../domain/ids.js';

const TTL_MS = 30 * 24 * 3600 * 1000;
const FORMAT = /^rt1\.(p|[0-9a-f-]{36})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface ParsedRefresh {
  /** null for platform admins. */
  tenantId: string | null;
  id: string;
  secret: string;
}

/**
 * Opaque refresh tokens: `rt1.<tenant id | p>.<id>.<secret>`; only the secret's hash is
 * stored. Single use, rotated on every refresh; presenting a used one revokes its family.
 */
export function createRefreshTokens(deps: { tenantDb: TenantRunner; platformDb: PlatformRunner }) {
  /** The token's store, in a transaction of the token's own plane (its tenant, or the platform). */
  interface Session {
    store: RefreshStore;
  }

  const mint = async (s: RefreshStore, tenantId: string | null, subjectId: string, familyId: string) => {
    const id = newId();
    const secret = randomBytes(32).toString('base64url');
    await s.insert({ id, familyId, subjectId, tokenHash: sha256(secret), expiresAt: new Date(Date.now() + TTL_MS) });
    return `rt1.${tenantId ?? 'p'}.${id}.${secret}`;
  };

  const parse = (token: string): ParsedRefresh => {
    const m = FORMAT.exec(token);
    if (!m) throw Errors.unauthorized('invalid refresh token');
    return { tenantId: m[1] === 'p' ? null : m[1]!, id: m[2]!, secret: m[3]! };
  };

  /** Runs in the token's own context; a suspended or deleted tenant is simply "invalid". */
  const within = async <T>(tenantId: string | null, fn: (session: Session) => Promise<T>): Promise<T> => {
    try {
      return tenantId
        ? await deps.tenantDb.tenant({ tenantId, userId: null }, (scope) => fn({ store: tenantRefreshStore(scope) }))
        : await deps.platformDb.platform(null, ({ tx }) => fn({ store: platformRefreshStore(tx) }));
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'tenant_suspended' || err.code === 'unauthorized')) {
        throw Errors.unauthorized('invalid refresh token');
      }
      throw err;
    }
  };

  return {
    /** A new family for a fresh login, in its own transaction of the subject's plane. */
    issue: (tenantId: string | null, subjectId: string) =>
      within(tenantId, ({ store }) => mint(store, tenantId, subjectId, newId())),

    /**
     * Ends every session of a tenant user and starts one new family, in the caller's
     * transaction (a password change): committed, or rolled back, together with the change.
     */
    async restart(scope: TenantScope, userId: string): Promise<string> {
      const store = tenantRefreshStore(scope);
      await store.revokeUser(userId);
      return mint(store, scope.tenantId, userId, newId());
    },

    /** Consumes a refresh token and returns its subject and a rotated successor. */
    async rotate(token: string): Promise<{ tenantId: string | null; subjectId: string; next: string }> {
      const parsed = parse(token);
      const outcome = await within(parsed.tenantId, async ({ store: s }) => {
        const row = await s.get(parsed.id);
        const hash = Buffer.from(sha256(parsed.secret));
        if (!row || !timingSafeEqual(hash, Buffer.from(row.tokenHash))) return { ok: false as const };
        if (row.revokedAt || row.expiresAt.getTime() < Date.now()) return { ok: false as const };
        if (!(await s.markUsed(row.id))) {
          await s.revokeFamily(row.familyId);
          return { ok: false as const };
        }
        return {
          ok: true as const,
          subjectId: row.subjectId,
          next: await mint(s, parsed.tenantId, row.subjectId, row.familyId),
        };
      });
      if (!outcome.ok) throw Errors.unauthorized('invalid refresh token');
      return { tenantId: parsed.tenantId, subjectId: outcome.subjectId, next: outcome.next };
    },

    /** Revokes the token's whole family; unknown tokens are ignored (no probing). */
    async revoke(token: string): Promise<void> {
      let parsed: ParsedRefresh;
      try {
        parsed = parse(token);
      } catch {
        return;
      }
      await within(parsed.tenantId, async ({ store: s }) => {
        const row = await s.get(parsed.id);
        if (row && timingSafeEqual(Buffer.from(sha256(parsed.secret)), Buffer.from(row.tokenHash))) {
          await s.revokeFamily(row.familyId);
        }
      }).catch((err) => {
        if (!(err instanceof DomainError)) throw err;
      });
    },
  };
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
