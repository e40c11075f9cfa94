import { TENANT_ACTIONS } from '../../../domain/audit.js';
import { access, defineRoute } from '../../access.js';
import { AuditReasonHeader, errorResponses, IdParam, jsonResponse } from '../../openapi.js';
import {
  ExportQuery,
  ImportQuery,
  ImportResult,
  NdjsonExport,
  StatsQuery,
  TenantStats,
  TenantUsage,
} from './transfer.schemas.js';

const NDJSON_EXAMPLE = [
  '{"type":"tenantry-export","version":2,"tenant":{"id":"…","slug":"springfield-high","name":"Springfield High",…}}',
  '{"table":"students","row":{"id":"…","studentNo":"S-1001","firstName":"Bart",…}}',
  '{"type":"tenantry-export-end","counts":{"students":1,…},"sha256":"…"}',
  '',
].join('\n');
const tags = ['Tenants (platform admin)'] as const;
const ndjson = (description: string) => ({
  description,
  content: { 'application/x-ndjson': { schema: NdjsonExport } },
});

export const usage = defineRoute(access.platform, {
  operationId: 'getTenantUsage',
  summary: 'Get a tenant’s usage against its limits',
  method: 'get',
  path: '/tenants/{id}/usage',
  tags,
  request: { params: IdParam },
  responses: { 200: jsonResponse(TenantUsage, 'Counts against the plan limits'), ...errorResponses },
});

export const stats = defineRoute(access.platform, {
  operationId: 'getPlatformStats',
  summary: 'Per-tenant counts, a page of tenants at a time',
  method: 'get',
  path: '/admin/stats',
  tags,
  description:
    'Every tenant (deleted ones too) by id, with its users, students, courses and enrollments; the counts of a ' +
    'page are read in one statement.',
  request: { query: StatsQuery },
  responses: { 200: jsonResponse(TenantStats, 'A page of per-tenant counts'), ...errorResponses },
});

export const exportTenant = defineRoute(access.tenantOrPlatform(['tenant_admin'], { transaction: false }), {
  operationId: 'exportTenant',
  summary: 'Export a tenant as NDJSON',
  feature: 'export',
  method: 'get',
  path: '/tenants/{id}/export',
  tags,
  description:
    "Platform admin, or the tenant's own tenant_admin (another tenant's id is 404) when its plan includes the " +
    '`export` feature (403 feature_disabled otherwise; a platform admin can always export). Users’ password hashes are ' +
    'included only for a platform admin who asks with `includeCredentials=true`; without them, imported users ' +
    'cannot log in until a tenant admin sets their password.',
  audit: {
    action: TENANT_ACTIONS.export,
    target: 'tenant',
    data: ({ query }) => ({ credentials: query.includeCredentials === 'true' }),
  },
  request: { params: IdParam, query: ExportQuery, headers: AuditReasonHeader },
  responses: { 200: ndjson('Every row of the tenant, from one consistent snapshot'), ...errorResponses },
});

export const importTenant = defineRoute(access.platform, {
  operationId: 'importTenant',
  summary: 'Import a tenant from an export',
  method: 'post',
  path: '/tenants/import',
  tags,
  description:
    'An export as the body, streamed (up to `IMPORT_MAX_BYTES`, 1 GiB by default); each line is validated as it ' +
    'arrives and the trailer’s counts and SHA-256 are checked at the end: a truncated or edited export is 400 ' +
    'naming the problem, and nothing is written unless everything is. `mode=restore` (default) keeps the ' +
    'export’s ids (an existing tenant id or slug is 409); `mode=clone&slug=…` writes a new tenant beside its ' +
    'source, every id remapped.',
  request: {
    query: ImportQuery,
    body: {
      required: true,
      content: {
        'application/x-ndjson': {
          // The import body limit (50 MiB) bounds its characters too.
          schema: NdjsonExport.openapi({ maxLength: 50 * 1024 * 1024 }),
          example: NDJSON_EXAMPLE,
        },
      },
    },
  },
  responses: { 201: jsonResponse(ImportResult, 'Imported'), ...errorResponses },
});
