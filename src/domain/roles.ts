export const TENANT_ROLES = ['tenant_admin', 'staff', 'viewer'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];
export type Role = TenantRole | 'platform_admin';

/** Who is calling: from a verified access token only. */
export type Principal =
  | { kind: 'tenant'; userId: string; tenantId: string; role: TenantRole; issuedAt?: number }
  | { kind: 'platform'; userId: string; role: 'platform_admin' };
