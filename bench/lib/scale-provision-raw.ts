import type pg from 'pg';
import { newId } from '../../src/domain/ids.js';
import { planOf } from '../../src/domain/tenant/plans.js';
import type { CreateTenantInput } from '../../src/services/tenants.js';

/**
 * Reference only (not what the service runs): the same four rows and the final read written
 * with raw `pg` as the platform login, one statement per round trip.
 */
export async function createTenantRaw(c: pg.Client, input: CreateTenantInput, passwordHash: string): Promise<void> {
  const [id, userId, eventId] = [newId(), newId(), newId()];
  await c.query('BEGIN');
  try {
    await c.query({ name: 'prov_platform', text: 'SELECT app.begin_platform(NULL)' });
    await c.query({ name: 'prov_slug', text: 'SELECT id FROM tenants WHERE slug = $1', values: [input.slug] });
    await c.query({
      name: 'prov_tenant',
      text: 'INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)',
      values: [id, input.slug, input.name],
    });
    await c.query({
      name: 'prov_settings',
      text: 'INSERT INTO tenant_settings (tenant_id, plan, timezone) VALUES ($1, $2, $3)',
      values: [id, planOf(input.plan), input.timezone ?? 'UTC'],
    });
    await c.query({
      name: 'prov_user',
      text: `INSERT INTO users (tenant_id, id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, 'tenant_admin', $5)`,
      values: [id, userId, input.admin.email, input.admin.name, passwordHash],
    });
    await c.query({
      name: 'prov_event',
      text: `INSERT INTO domain_events (tenant_id, id, type, payload) VALUES ($1, $2, 'TenantCreated', $3)`,
      values: [id, eventId, JSON.stringify({ tenantId: id, slug: input.slug, adminUserId: userId })],
    });
    await c.query({
      name: 'prov_read',
      text: 'SELECT * FROM tenants t LEFT JOIN tenant_settings s ON s.tenant_id = t.id WHERE t.id = $1',
      values: [id],
    });
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  }
}

/** Reference only: the same rows in a single round trip (one data-modifying CTE in one transaction). */
export async function createTenantOneTrip(c: pg.Client, input: CreateTenantInput, passwordHash: string): Promise<void> {
  const lit = (s: string) => c.escapeLiteral(s);
  const ids = [newId(), newId(), newId()];
  const [id, userId, eventId] = ids.map(lit);
  const payload = lit(JSON.stringify({ tenantId: ids[0], slug: input.slug, adminUserId: ids[1] }));
  await c.query(`BEGIN; SELECT app.begin_platform(NULL);
    WITH t AS (INSERT INTO tenants (id, slug, name) VALUES (${id}, ${lit(input.slug)}, ${lit(input.name)}) RETURNING *),
         s AS (INSERT INTO tenant_settings (tenant_id, plan, timezone)
               SELECT id, ${lit(planOf(input.plan))}, ${lit(input.timezone ?? 'UTC')} FROM t RETURNING *),
         u AS (INSERT INTO users (tenant_id, id, email, name, role, password_hash)
               SELECT id, ${userId}, ${lit(input.admin.email)}, ${lit(input.admin.name)}, 'tenant_admin', ${lit(passwordHash)} FROM t),
         e AS (INSERT INTO domain_events (tenant_id, id, type, payload) SELECT id, ${eventId}, 'TenantCreated', ${payload} FROM t)
    SELECT * FROM t JOIN s ON s.tenant_id = t.id;
    COMMIT;`);
}
