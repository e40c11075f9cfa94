import type { Prisma, TenantSigningKey } from '../../generated/prisma/client.js';
import type { TenantScope, Tx } from '../context.js';
import { guard } from '../errors.js';

export type SigningKeyRow = TenantSigningKey;
export interface SigningKeyWrite {
  kid: string;
  publicJwk: Record<string, unknown>;
  privateKeyEnc: string;
}

const CONFLICT = 'the tenant already has a signing key';

/** A tenant's own signing keys, under its context (tenant_id named as well as enforced by RLS). */
export function tenantSigningKeyRepository({ tx, tenantId }: TenantScope) {
  return {
    list(): Promise<SigningKeyRow[]> {
      return tx.tenantSigningKey.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
    },
    /** A first key, made lazily; a concurrent one is the partial unique index's conflict. */
    create(data: SigningKeyWrite): Promise<SigningKeyRow> {
      return guard(
        () =>
          tx.tenantSigningKey.create({
            data: { ...data, publicJwk: data.publicJwk as Prisma.InputJsonValue, tenantId },
          }),
        { conflict: CONFLICT },
      );
    },
  };
}

/** Every tenant's signing keys, on the platform plane: creation with the tenant, rotation, the JWKS. */
export function platformSigningKeyRepository(tx: Tx) {
  return {
    create(tenantId: string, data: SigningKeyWrite): Promise<SigningKeyRow> {
      return guard(
        () =>
          tx.tenantSigningKey.create({
            data: { ...data, publicJwk: data.publicJwk as Prisma.InputJsonValue, tenantId },
          }),
        { conflict: CONFLICT },
      );
    },
    /** The current key stops signing; it keeps verifying until the caller's window ends. */
    async retireCurrent(tenantId: string, at: Date): Promise<string[]> {
      const current = await tx.tenantSigningKey.findMany({
        where: { tenantId, retiredAt: null, revokedAt: null },
        select: { kid: true },
      });
      await tx.tenantSigningKey.updateMany({
        where: { tenantId, retiredAt: null, revokedAt: null },
        data: { retiredAt: at },
      });
      return current.map((k) => k.kid);
    },
    /** Every key of the tenant stops verifying at once. */
    async revokeAll(tenantId: string, at: Date): Promise<string[]> {
      const live = await tx.tenantSigningKey.findMany({ where: { tenantId, revokedAt: null }, select: { kid: true } });
      await tx.tenantSigningKey.updateMany({ where: { tenantId, revokedAt: null }, data: { revokedAt: at } });
      return live.map((k) => k.kid);
    },
    /** Public halves of every key that may still verify a live token, for the JWKS. */
    usable(retiredAfter: Date): Promise<Pick<SigningKeyRow, 'publicJwk'>[]> {
      return tx.tenantSigningKey.findMany({
        where: {
          revokedAt: null,
          OR: [{ retiredAt: null }, { retiredAt: { gt: retiredAfter } }],
          tenant: { status: { not: 'deleted' } },
        },
        select: { publicJwk: true },
        orderBy: [{ tenantId: 'asc' }, { createdAt: 'asc' }],
      });
    },
  };
}
