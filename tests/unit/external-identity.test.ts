import { describe, expect, it } from 'vitest';
import { claimAt, mapRole, parseRoleMap, tenantReference } from '../../src/domain/external-identity.js';

describe('identity-provider claims', () => {
  it('when a claim name is a key of the token, then it is read as is, else as a dotted path', () => {
    const payload = {
      'https://tenantry.example/tenant': 'springfield',
      app_metadata: { tenant: 'shelbyville', nested: { role: 'teacher' } },
      realm_access: { roles: ['teacher', 'offline_access'] },
      list: ['a'],
    };
    expect(claimAt(payload, 'https://tenantry.example/tenant')).toBe('springfield');
    expect(claimAt(payload, 'app_metadata.tenant')).toBe('shelbyville');
    expect(claimAt(payload, 'app_metadata.nested.role')).toBe('teacher');
    expect(claimAt(payload, 'realm_access.roles')).toEqual(['teacher', 'offline_access']);
    expect(claimAt(payload, 'app_metadata.missing')).toBeUndefined();
    expect(claimAt(payload, 'list.0')).toBeUndefined();
    expect(claimAt(payload, 'app_metadata.tenant.length')).toBeUndefined();
    expect(claimAt(payload, '__proto__.constructor')).toBeUndefined();
  });

  it('when roles are mapped, then the most privileged mapped one wins and unmapped names are ignored', () => {
    const map = parseRoleMap('admin=tenant_admin, teacher=staff,parent=viewer');
    expect(mapRole('teacher', map)).toBe('staff');
    expect(mapRole(['parent', 'teacher', 'other'], map)).toBe('staff');
    expect(mapRole(['parent', 'admin'], map)).toBe('tenant_admin');
    expect(mapRole(['tenant_admin'], map)).toBeNull();
    expect(mapRole(['other', 42, null], map)).toBeNull();
    expect(mapRole({ admin: true }, map)).toBeNull();
    expect(mapRole(undefined, map)).toBeNull();
  });

  it('when no role map is configured, then the claim must name a Tenantry role', () => {
    expect(mapRole('viewer')).toBe('viewer');
    expect(mapRole(['viewer', 'tenant_admin'])).toBe('tenant_admin');
    expect(mapRole('platform_admin')).toBeNull();
    expect(mapRole('Staff')).toBeNull();
  });

  it('when the role map is malformed, then it is refused naming the pair', () => {
    expect(() => parseRoleMap('admin')).toThrow(/"admin" is not idp-role=tenant-role/);
    expect(() => parseRoleMap('a=b=c')).toThrow(/is not idp-role=tenant-role/);
    expect(() => parseRoleMap('root=platform_admin')).toThrow(/"platform_admin" is not a role/);
    expect(parseRoleMap('a=staff,,').size).toBe(1);
  });

  it('when the tenant claim is a uuid it names an id, a slug a slug, anything else nothing', () => {
    expect(tenantReference('01937A1E-0000-7000-8000-000000000002')).toEqual({
      id: '01937a1e-0000-7000-8000-000000000002',
    });
    expect(tenantReference('Springfield-High')).toEqual({ slug: 'springfield-high' });
    for (const bad of ['', '-x', 'a b', '../x', 'x'.repeat(64), 42, null, ['a']])
      expect(tenantReference(bad)).toBeNull();
  });
});
