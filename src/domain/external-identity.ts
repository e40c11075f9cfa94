import { TENANT_ROLES, type TenantRole } from './roles.js';

/** Asymmetric algorithms an identity provider's tokens may use (never HS*: the key would be public). */
export const EXTERNAL_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type ExternalAlgorithm = (typeof EXTERNAL_ALGORITHMS)[number];

/** What a verified identity-provider token says, before it is mapped to a tenant user. */
export interface ExternalIdentity {
  subject: string;
  /** The tenant claim: a tenant id or slug. */
  tenant: string;
  role: TenantRole;
  /** `iat`, epoch seconds. */
  issuedAt: number;
  email?: string;
  name?: string;
}

/** `AUTH_ROLE_MAP`: `idp-role=tenant-role` pairs separated by commas. */
export function parseRoleMap(text: string): Map<string, TenantRole> {
  const map = new Map<string, TenantRole>();
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const [from, to, ...rest] = pair.split('=').map((s) => s.trim());
    if (!from || !to || rest.length > 0) throw new Error(`"${pair.trim()}" is not idp-role=tenant-role`);
    if (!(TENANT_ROLES as readonly string[]).includes(to)) {
      throw new Error(`"${to}" is not a role (${TENANT_ROLES.join(', ')})`);
    }
    map.set(from, to as TenantRole);
  }
  return map;
}

/**
 * A claim by name: the exact key first (Auth0's namespaced claims contain dots), else a dotted
 * path through nested objects (`app_metadata.tenant`, `realm_access.roles`).
 */
export function claimAt(payload: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The Tenantry role a role claim maps to: a string or a list of strings, each mapped through
 * the role map (or taken as a role name without one); of several, the most privileged. Null
 * when nothing maps.
 */
export function mapRole(value: unknown, map?: Map<string, TenantRole>): TenantRole | null {
  const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  let best: TenantRole | null = null;
  for (const name of names) {
    if (typeof name !== 'string') continue;
    const role = map
      ? map.get(name)
      : (TENANT_ROLES as readonly string[]).includes(name)
        ? (name as TenantRole)
        : undefined;
    if (role && (best === null || TENANT_ROLES.indexOf(role) < TENANT_ROLES.indexOf(best))) best = role;
  }
  return best;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The tenant claim as a tenant id or a slug; null when it is neither. */
export function tenantReference(value: unknown): { id: string } | { slug: string } | null {
  if (typeof value !== 'string') return null;
  if (UUID.test(value)) return { id: value.toLowerCase() };
  const slug = value.toLowerCase();
  return SLUG.test(slug) ? { slug } : null;
}
