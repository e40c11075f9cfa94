import type { TenantScope, Tx } from '../context.js';

export interface RefreshRecord {
  id: string;
  familyId: string;
  subjectId: string;
  tokenHash: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export interface RefreshStore {
  insert(r: { id: string; familyId: string; subjectId: string; tokenHash: string; expiresAt: Date }): Promise<void>;
  get(id: string): Promise<RefreshRecord | null>;
  /** Marks a token used; false when it was already used (a replay). */
  markUsed(id: string): Promise<boolean>;
  revokeFamily(familyId: string): Promise<void>;
}

/** Tenant users' refresh tokens, under the tenant's context. */
export function tenantRefreshStore({ tx, tenantId }: TenantScope): RefreshStore & {
  /** Revokes every live refresh token of one user (their sessions end). */
  revokeUser(userId: string): Promise<number>;
} {
  return {
    async revokeUser(userId) {
      const { count } = await tx.refreshToken.updateMany({
        where: { tenantId, userId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      return count;
    },
    async insert(r) {
      await tx.refreshToken.create({
        data: {
          tenantId,
          id: r.id,
          familyId: r.familyId,
          userId: r.subjectId,
          tokenHash: r.tokenHash,
          expiresAt: r.expiresAt,
        },
      });
    },
    async get(id) {
      const row = await tx.refreshToken.findUnique({ where: { tenantId_id: { tenantId, id } } });
      return row && { ...row, subjectId: row.userId };
    },
    async markUsed(id) {
      const { count } = await tx.refreshToken.updateMany({
        where: { tenantId, id, usedAt: null },
        data: { usedAt: new Date() },
      });
      return count === 1;
    },
    async revokeFamily(familyId) {
      await tx.refreshToken.updateMany({
        where: { tenantId, familyId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
    },
  };
}

/** Platform admins' refresh tokens, on the platform role. */
export function platformRefreshStore(tx: Tx): RefreshStore {
  return {
    async insert(r) {
      await tx.platformRefreshToken.create({
        data: { id: r.id, familyId: r.familyId, adminId: r.subjectId, tokenHash: r.tokenHash, expiresAt: r.expiresAt },
      });
    },
    async get(id) {
      const row = await tx.platformRefreshToken.findUnique({ where: { id } });
      return row && { ...row, subjectId: row.adminId };
    },
    async markUsed(id) {
      const { count } = await tx.platformRefreshToken.updateMany({
        where: { id, usedAt: null },
        data: { usedAt: new Date() },
      });
      return count === 1;
    },
    async revokeFamily(familyId) {
      await tx.platformRefreshToken.updateMany({
        where: { familyId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
    },
  };
}
