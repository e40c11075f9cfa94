import type { TenantStatus } from '../../domain/tenant/status.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { TenantScope, Tx } from '../context.js';
import { guard } from '../errors.js';
import type { UserRow, UserWrite } from './users.js';

const withSettings = { settings: true } as const;
/** The status column is text with a CHECK constraint listing exactly the domain's statuses. */
export type TenantRow = Omit<Prisma.TenantGetPayload<object>, 'status'> & { status: TenantStatus };
export type TenantWithSettings = Omit<Prisma.TenantGetPayload<{ include: typeof withSettings }>, 'status'> & {
  status: TenantStatus;
};
type TenantStatusValue = TenantStatus;

export interface TenantWrite {
  id: string;
  slug: string;
  name: string;
  status: TenantStatusValue;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface SettingsWrite {
  plan?: string;
  timezone?: string;
  limits?: Record<string, number>;
  features?: Record<string, boolean>;
  branding?: Record<string, string>;
}

/** The platform-owned tenants table, on the platform plane (every tenant). */
export function tenantRepository(tx: Tx) {
  return {
    create(data: TenantWrite) {
      return guard(() => tx.tenant.create({ data }) as Promise<TenantRow>, {
        conflict: `tenant slug '${data.slug}' is already taken`,
      });
    },
    createSettings(data: SettingsWrite & { tenantId: string }) {
      return tx.tenantSettings.create({ data });
    },
    /** A new tenant's first user, written with the tenant in the same platform transaction. */
    createUser(tenantId: string, data: UserWrite): Promise<UserRow> {
      return guard(() => tx.user.create({ data: { ...data, tenantId } }) as Promise<UserRow>, {
        conflict: 'a user with this email already exists',
      });
    },
    get(id: string): Promise<TenantWithSettings | null> {
      return tx.tenant.findUnique({ where: { id }, include: withSettings }) as Promise<TenantWithSettings | null>;
    },
    findBySlug(slug: string): Promise<TenantRow | null> {
      return tx.tenant.findUnique({ where: { slug } }) as Promise<TenantRow | null>;
    },
    list(query: { limit: number; after?: string; status?: TenantStatusValue }): Promise<TenantWithSettings[]> {
      const where: Prisma.TenantWhereInput = {};
      if (query.after) where.id = { gt: query.after };
      // Deleted tenants are listed only when asked for by status.
      where.status = query.status ?? { not: 'deleted' };
      return tx.tenant.findMany({ where, orderBy: { id: 'asc' }, take: query.limit, include: withSettings }) as Promise<
        TenantWithSettings[]
      >;
    },
    update(id: string, data: { name?: string; updatedAt?: Date }) {
      return guard(
        () => tx.tenant.update({ where: { id }, data, include: withSettings }) as Promise<TenantWithSettings>,
        { notFound: 'tenant' },
      );
    },
    updateSettings(tenantId: string, data: SettingsWrite) {
      return guard(() => tx.tenantSettings.update({ where: { tenantId }, data }), { notFound: 'tenant' });
    },
    /**
     * Moves the tenant's status only if it is still one of `from` (one statement, no lock
     * held between a read and the write); false when it was not. The trigger of
     * sql/05_lifecycle.sql refuses any move outside the state machine.
     */
    async moveStatus(
      id: string,
      from: readonly TenantStatusValue[],
      data: { status: TenantStatusValue; purgeAfter?: Date | null },
    ): Promise<boolean> {
      const { count } = await tx.tenant.updateMany({
        where: { id, status: { in: [...from] } },
        data: { ...data, updatedAt: new Date() },
      });
      return count === 1;
    },
    /** Deletes the tenant row; every tenant table's rows go with it through the foreign keys. */
    async purge(id: string): Promise<boolean> {
      const { count } = await tx.tenant.deleteMany({ where: { id, status: 'deleted' } });
      return count === 1;
    },
    /** Rows the tenant owns in each table, for TenantPurged (counts only). */
    async rowCounts(id: string): Promise<Record<string, number>> {
      const rows = await tx.$queryRaw<Record<string, number>[]>`
        SELECT (SELECT count(*)::int FROM users WHERE tenant_id = ${id}::uuid) AS users,
               (SELECT count(*)::int FROM students WHERE tenant_id = ${id}::uuid) AS students,
               (SELECT count(*)::int FROM courses WHERE tenant_id = ${id}::uuid) AS courses,
               (SELECT count(*)::int FROM enrollments WHERE tenant_id = ${id}::uuid) AS enrollments,
               (SELECT count(*)::int FROM refresh_tokens WHERE tenant_id = ${id}::uuid) AS "refreshTokens",
               (SELECT count(*)::int FROM domain_events WHERE tenant_id = ${id}::uuid) AS events,
               (SELECT count(*)::int FROM audit_log WHERE tenant_id = ${id}::uuid) AS "auditEntries"`;
      return rows[0] ?? {};
    },
    /**
     * Locks the tenant's settings row until the transaction ends: the lock app.lock_quota takes
     * before every limited create, so counts read after it stay true until commit.
     */
    async lockSettings(id: string): Promise<{ plan: string; limits: unknown } | null> {
      const rows = await tx.$queryRaw<{ plan: string; limits: unknown }[]>`
        SELECT plan, limits FROM tenant_settings WHERE tenant_id = ${id}::uuid FOR UPDATE`;
      return rows[0] ?? null;
    },
    /** What plan limits count, in one statement (after lockSettings: a fresh snapshot under READ COMMITTED). */
    async countedUsage(id: string): Promise<{ users: number; students: number; courses: number }> {
      const rows = await tx.$queryRaw<{ users: number; students: number; courses: number }[]>`
        SELECT (SELECT count(*)::int FROM users WHERE tenant_id = ${id}::uuid) AS users,
               (SELECT count(*)::int FROM students WHERE tenant_id = ${id}::uuid) AS students,
               (SELECT count(*)::int FROM courses WHERE tenant_id = ${id}::uuid) AS courses`;
      return rows[0] ?? { users: 0, students: 0, courses: 0 };
    },
    /** Deleted tenants whose grace period is over, oldest first. */
    async duePurges(now: Date, limit: number): Promise<string[]> {
      const rows = await tx.tenant.findMany({
        where: { status: 'deleted', purgeAfter: { lte: now } },
        orderBy: { purgeAfter: 'asc' },
        take: limit,
        select: { id: true },
      });
      return rows.map((r) => r.id);
    },
  };
}

/** The caller's own tenant row and settings, under its tenant context. */
export function ownTenantRepository({ tx, tenantId }: TenantScope) {
  return {
    get(): Promise<TenantWithSettings | null> {
      return tx.tenant.findUnique({
        where: { id: tenantId },
        include: withSettings,
      }) as Promise<TenantWithSettings | null>;
    },
    /** Slug and plan, as the request path needs them before the request transaction. */
    async profile(): Promise<{ slug: string; plan: string; limits: unknown; features: unknown } | null> {
      const rows = await tx.$queryRaw<{ slug: string; plan: string; limits: unknown; features: unknown }[]>`
        SELECT t.slug, s.plan, s.limits, s.features FROM tenants t JOIN tenant_settings s ON s.tenant_id = t.id
         WHERE t.id = ${tenantId}::uuid AND s.tenant_id = ${tenantId}::uuid`;
      return rows[0] ?? null;
    },
    updateSettings(data: SettingsWrite) {
      return guard(() => tx.tenantSettings.update({ where: { tenantId }, data }), { notFound: 'tenant' });
    },
  };
}
