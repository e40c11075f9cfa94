import { Errors } from '../../../domain/errors.js';

/**
 * The tenant of a sign-in: from the body, the X-Tenant-Slug header or the host's subdomain;
 * any that are given must agree (400 otherwise). After sign-in the token alone decides.
 */
export function loginTenant(sources: { body?: string; header?: string; host?: string }): string {
  const given = Object.entries(sources).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  if (given.length === 0) {
    throw Errors.validation('the tenant is required', [
      { path: 'tenant', message: 'name the tenant in the body, the X-Tenant-Slug header or the subdomain' },
    ]);
  }
  const slugs = new Set(given.map(([, v]) => v.toLowerCase()));
  if (slugs.size > 1) {
    throw Errors.validation('the tenant sources disagree', [
      { path: 'tenant', message: `named differently by ${given.map(([k]) => k).join(', ')}` },
    ]);
  }
  return [...slugs][0]!;
}
