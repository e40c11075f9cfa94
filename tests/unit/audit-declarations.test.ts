import { describe, expect, it } from 'vitest';
import { access, defineRoute } from '../../src/http/access.js';
import { AuditReasonHeader, errorResponses, IdParam } from '../../src/http/openapi.js';

const route = {
  operationId: 'frobnicateTenant',
  summary: 'Frobnicate',
  method: 'post',
  path: '/tenants/{id}/frobnicate',
  tags: ['Tenants (platform admin)'],
  audit: { action: 'tenant.frobnicated', target: 'tenant' },
  responses: { 204: { description: 'Done' }, ...errorResponses },
} as const;

describe('defineRoute with an audit declaration', () => {
  it('when a platform action is audited without documenting X-Audit-Reason, then it is refused at start', () => {
    expect(() => defineRoute(access.platform, { ...route, request: { params: IdParam } })).toThrow(
      /frobnicateTenant: an audited platform action must document X-Audit-Reason/,
    );
  });

  it('when it documents the header, then the operation carries x-audit and a tenant route needs no header', () => {
    const platform = defineRoute(access.platform, {
      ...route,
      request: { params: IdParam, headers: AuditReasonHeader },
    });
    expect(platform).toMatchObject({ 'x-audit': { action: 'tenant.frobnicated', target: 'tenant' } });
    expect(platform).not.toHaveProperty('audit');
    const tenant = defineRoute(access.tenant(), { ...route, request: { params: IdParam } });
    expect(tenant).toMatchObject({ 'x-audit': { action: 'tenant.frobnicated' } });
  });
});
