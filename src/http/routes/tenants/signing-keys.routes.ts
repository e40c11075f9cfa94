import { z } from '@hono/zod-openapi';
import { TENANT_ACTIONS } from '../../../domain/audit.js';
import { access, defineRoute } from '../../access.js';
import { AuditReasonHeader, dateTime, errorResponses, IdParam, jsonResponse } from '../../openapi.js';

const tags = ['Tenants (platform admin)'] as const;
const kid = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9._~-]+$/);

const Rotated = z
  .object({
    kid: kid.openapi({ description: 'The key that signs the tenant’s tokens from now on' }),
    retired: z
      .array(z.object({ kid, verifiesUntil: dateTime() }))
      .openapi({ description: 'The previous key: it keeps verifying the tokens it signed until they expire' }),
  })
  .openapi('TenantSigningKeyRotated');

const Revoked = z
  .object({
    kid: kid.openapi({ description: 'The key that signs the tenant’s tokens from now on' }),
    revoked: z.array(kid).openapi({ description: 'Keys that verify nothing from now on' }),
  })
  .openapi('TenantSigningKeyRevoked');

const disabled = ' Only with per-tenant signing keys (`TENANT_SIGNING_KEYS=true`); otherwise 409 `conflict`.';

export const rotateSigningKey = defineRoute(access.platform, {
  operationId: 'rotateTenantSigningKey',
  summary: 'Rotate a tenant’s signing key',
  method: 'post',
  path: '/tenants/{id}/signing-key/rotate',
  tags,
  description:
    'A new key signs the tenant’s access tokens; tokens signed by the previous one stay valid until they ' +
    'expire (one token lifetime), then it verifies nothing. Other tenants are untouched.' +
    disabled,
  audit: {
    action: TENANT_ACTIONS.rotateSigningKey,
    target: 'tenant',
    data: ({ result }) => ({ kid: (result as { kid: string }).kid }),
  },
  request: { params: IdParam, headers: AuditReasonHeader },
  responses: { 200: jsonResponse(Rotated, 'Rotated'), ...errorResponses },
});

export const revokeSigningKey = defineRoute(access.platform, {
  operationId: 'revokeTenantSigningKeys',
  summary: 'Revoke a tenant’s signing keys',
  method: 'post',
  path: '/tenants/{id}/signing-key/revoke',
  tags,
  description:
    'Every key of the tenant stops verifying at once, so all of its access tokens are refused (401); a new key ' +
    'signs from now on (refresh tokens are not signed and keep working). Other tenants are untouched.' +
    disabled,
  audit: {
    action: TENANT_ACTIONS.revokeSigningKeys,
    target: 'tenant',
    data: ({ result }) => ({ kid: (result as { kid: string }).kid }),
  },
  request: { params: IdParam, headers: AuditReasonHeader },
  responses: { 200: jsonResponse(Revoked, 'Revoked'), ...errorResponses },
});
