import { createRoute } from '@hono/zod-openapi';
import { bearer, errorResponses, IdParam, jsonResponse } from '../../openapi.js';
import { ImportResult, NdjsonExport, TenantStats, TenantUsage } from './transfer.schemas.js';

const tags = ['Tenants (platform admin)'];
const ndjson = (description: string) => ({
  description,
  content: { 'application/x-ndjson': { schema: NdjsonExport } },
});

export const usage = createRoute({
  method: 'get',
  path: '/tenants/{id}/usage',
  tags,
  security: bearer,
  request: { params: IdParam },
  responses: { 200: jsonResponse(TenantUsage, 'Counts against the plan limits'), ...errorResponses },
});

export const stats = createRoute({
  method: 'get',
  path: '/admin/stats',
  tags,
  security: bearer,
  responses: { 200: jsonResponse(TenantStats, 'Per-tenant counts and totals'), ...errorResponses },
});

export const exportTenant = createRoute({
  method: 'get',
  path: '/tenants/{id}/export',
  tags,
  security: bearer,
  description: "Platform admin, or the tenant's own tenant_admin (another tenant's id is 404).",
  request: { params: IdParam },
  responses: { 200: ndjson('Every row of the tenant, from one consistent snapshot'), ...errorResponses },
});

export const importTenant = createRoute({
  method: 'post',
  path: '/tenants/import',
  tags,
  security: bearer,
  description: 'An export as the body (up to 50 MiB); all or nothing. An existing tenant id or slug is 409.',
  request: { body: { required: true, ...ndjson('An export') } },
  responses: { 201: jsonResponse(ImportResult, 'Imported'), ...errorResponses },
});
