import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { TransactionRunner, Tx } from '../../src/db/context.js';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { type Check, withClient } from './scale-db.js';

/**
 * Wraps a runner: times each platform transaction and records the Prisma operations it
 * issues (`model.operation`), so the bench can show that its database-only path issues the
 * same operations as TenantService.create.
 */
export function instrumentRunner(inner: TransactionRunner, sink: { txMs: number[]; ops: string[][] }) {
  const runner: TransactionRunner = {
    tenant: (scope, fn) => inner.tenant(scope, fn),
    async platform(adminId, fn) {
      const ops: string[] = [];
      const t0 = performance.now();
      try {
        return await inner.platform(adminId, (scope) => fn({ ...scope, tx: recording(scope.tx, ops) }));
      } finally {
        sink.txMs.push(performance.now() - t0);
        sink.ops.push(ops);
      }
    },
  };
  return runner;
}

function recording(tx: Tx, ops: string[]): Tx {
  return new Proxy(tx, {
    get(target, model, receiver) {
      const delegate = Reflect.get(target, model, receiver) as unknown;
      if (typeof model !== 'string' || model.startsWith('$') || !delegate || typeof delegate !== 'object') {
        return delegate;
      }
      return new Proxy(delegate, {
        get(d, op) {
          const value = Reflect.get(d, op) as unknown;
          if (typeof value !== 'function' || typeof op !== 'string') return value;
          return (...args: unknown[]) => {
            ops.push(`${model}.${op}`);
            return (value as (...a: unknown[]) => unknown).apply(d, args);
          };
        },
      });
    },
  });
}

/** Tables a schema-per-tenant design would create for every tenant. */
export const SCHEMA_TABLES = ['tenant_settings', 'users', 'students', 'courses', 'enrollments'];

/**
 * The DDL of SCHEMA_TABLES (tables, keys, unique and plain indexes) as the migrations define
 * it, re-targeted at schema `{{schema}}`. Foreign keys to the shared tenants table are
 * dropped (a schema-per-tenant design has none); keys between the tenant's own tables stay.
 */
export function schemaPerTenantDdl(): { ddl: string; tables: number; indexes: number } {
  const files = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => readFileSync(join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8'));
  const statements = files
    .flatMap((sql) =>
      sql
        .split('\n')
        .filter((l) => !l.trim().startsWith('--'))
        .join('\n')
        .split(/;\s*\n/),
    )
    .map((s) => s.trim().replace(/;$/, ''))
    .filter(Boolean);
  const target = (s: string) =>
    /^(?:CREATE TABLE|ALTER TABLE|CREATE (?:UNIQUE )?INDEX "\w+" ON) "(\w+)"/.exec(s)?.[1] ?? '';
  const kept = statements
    .filter((s) => SCHEMA_TABLES.includes(target(s)))
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !line.includes('REFERENCES "tenants"'))
        .join('\n')
        .replace(/,(\s*\n\))/, '$1')
        // Enum types the migrations later turned into TEXT + CHECK (and dropped): TEXT from the start.
        .replace(/"(user_role|tenant_status)"/g, 'TEXT')
        // Constraints to the shared tenants table were never created here.
        .replace(/DROP CONSTRAINT "/g, 'DROP CONSTRAINT IF EXISTS "')
        .replace(/(TABLE|ON|REFERENCES) "(\w+)"/g, (m, kw: string, name: string) =>
          SCHEMA_TABLES.includes(name) ? `${kw} "{{schema}}"."${name}"` : m,
        ),
    )
    .filter((s) => !(s.startsWith('ALTER TABLE') && /REFERENCES "tenants"/.test(s)));
  const tables = kept.filter((s) => s.startsWith('CREATE TABLE')).length;
  const indexes =
    kept.filter((s) => /^CREATE (UNIQUE )?INDEX/.test(s)).length + kept.join('\n').split(/PRIMARY KEY/).length - 1;
  if (tables !== SCHEMA_TABLES.length)
    throw new Error(`schema-per-tenant DDL: found ${tables} of ${SCHEMA_TABLES.length} tables`);
  return { ddl: `${kept.join(';\n')};`, tables, indexes };
}

/**
 * Checks after a provisioning run: the database-only path issued the service's operations,
 * every tenant of this run (slug `p-<path>-<prefix>-n`) got its settings, admin and event,
 * and every tenant schema got all its tables.
 */
export async function verifyProvisioned(
  platformUrl: string,
  owner: pg.Client,
  prefix: string,
  e2eOps: string[],
  dbOps: string[],
) {
  const counts = await withClient(platformUrl, async (c) => {
    await c.query('BEGIN');
    await c.query('SELECT app.begin_platform(NULL)');
    const r = await c.query<Record<string, number>>(
      `WITH mine AS (SELECT id FROM tenants WHERE slug LIKE $1)
       SELECT (SELECT count(*)::int FROM mine) AS tenants,
              (SELECT count(*)::int FROM tenant_settings WHERE tenant_id IN (SELECT id FROM mine)) AS settings,
              (SELECT count(*)::int FROM users WHERE role = 'tenant_admin' AND tenant_id IN (SELECT id FROM mine)) AS admins,
              (SELECT count(*)::int FROM domain_events WHERE type = 'TenantCreated' AND tenant_id IN (SELECT id FROM mine)) AS events`,
      [`p-%-${prefix}-%`],
    );
    await c.query('COMMIT');
    return r.rows[0]!;
  });
  const schemaTables = await owner.query<{ n: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT schemaname)::int AS s FROM pg_tables WHERE schemaname LIKE $1`,
    [`t\\_${prefix}\\_%`],
  );
  const st = schemaTables.rows[0] as unknown as { n: number; s: number };
  const checks: Check[] = [
    {
      name: 'database-only path issues the same Prisma operations as TenantService.create',
      pass: e2eOps.length > 0 && e2eOps.join() === dbOps.join(),
      detail: `service: ${e2eOps.join(' → ')}; bench: ${dbOps.join(' → ')}`,
    },
    {
      name: 'every created tenant has settings, an admin and TenantCreated',
      pass: counts.tenants! > 0 && [counts.settings, counts.admins, counts.events].every((n) => n === counts.tenants),
      detail: JSON.stringify(counts),
    },
    {
      name: `every tenant schema has ${SCHEMA_TABLES.length} tables`,
      pass: st.s > 0 && st.n === st.s * SCHEMA_TABLES.length,
      detail: `${st.s} schemas, ${st.n} tables`,
    },
  ];
  return checks;
}
