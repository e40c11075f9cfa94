import { createHash } from 'node:crypto';
import type { TenantHeader } from './transfer-format.js';
import type { ImportRow } from './transfer-parse.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CloneTarget {
  /** The clone's tenant id (new). */
  id: string;
  slug: string;
  name: string;
}

/**
 * Rewrites the rows of an export for a clone, one row at a time and without a table of ids:
 * the source tenant's id becomes the clone's, and every other id is derived from the old one
 * and the clone's id — the same old id always gives the same new id, in every column and in
 * every JSON payload, so references stay consistent. A derived id keeps the old one's leading
 * 86 bits (UUIDv7 time and sequence) and replaces the last 42 random bits with a hash, so
 * rows keep their order. Ids of platform admins (audit actors) are kept: they are not the
 * tenant's.
 */
export function cloneMapper(source: TenantHeader['tenant'], target: CloneTarget, platformIds: ReadonlySet<string>) {
  const from = source.id;
  const map = (id: string): string => {
    const lower = id.toLowerCase();
    if (lower === from) return target.id;
    if (platformIds.has(lower)) return lower;
    const hex = createHash('sha256').update(target.id).update(lower).digest('hex');
    const byte10 = (Number.parseInt(lower.slice(24, 26), 16) & 0xfc) | (Number.parseInt(hex.slice(0, 2), 16) & 0x03);
    return `${lower.slice(0, 24)}${byte10.toString(16).padStart(2, '0')}${hex.slice(2, 12)}`;
  };
  const mapOptional = (id: string | null | undefined) => (id ? map(id) : id);

  // Strings that are ids, and the tenant's slug under a `slug` key, wherever they sit in a payload.
  function mapJson(value: unknown, key?: string): unknown {
    if (typeof value === 'string') {
      if (UUID.test(value)) return map(value);
      return key === 'slug' && value === source.slug ? target.slug : value;
    }
    if (Array.isArray(value)) return value.map((v) => mapJson(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapJson(v, k)]));
    }
    return value;
  }

  return {
    map,
    tenant(): TenantHeader['tenant'] {
      return { ...source, id: target.id, slug: target.slug, name: target.name };
    },
    row(item: ImportRow): ImportRow {
      const tenantId = target.id;
      switch (item.table) {
        case 'tenant_settings':
          return { table: item.table, row: { ...item.row, tenantId } };
        case 'users':
        case 'students':
        case 'courses':
          return { table: item.table, row: { ...item.row, tenantId, id: map(item.row.id) } } as ImportRow;
        case 'enrollments':
          return {
            table: item.table,
            row: { ...item.row, tenantId, courseId: map(item.row.courseId), studentId: map(item.row.studentId) },
          };
        case 'domain_events':
          return {
            table: item.table,
            row: { ...item.row, tenantId, id: map(item.row.id), payload: mapJson(item.row.payload) as never },
          };
        case 'audit_log':
          return {
            table: item.table,
            row: {
              ...item.row,
              tenantId,
              id: map(item.row.id),
              actorId: mapOptional(item.row.actorId),
              targetId: mapOptional(item.row.targetId),
              data: mapJson(item.row.data) as never,
            },
          };
      }
    },
  };
}
