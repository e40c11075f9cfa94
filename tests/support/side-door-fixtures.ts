import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * One deliberately broken scratch database for the extended catalog gate: every side door of
 * DESIGN.md invariant 9 opened once, next to a sound twin that must not be reported. The
 * roles are cluster-wide, so their names are random and the test drops them.
 */
export function sideDoorFixture() {
  const suffix = randomBytes(4).toString('hex');
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const ownerRole = `gate_owner_${suffix}`;
  const midRole = `gate_mid_${suffix}`;
  const policy = `TO tenantry_app USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id())`;

  // As the superuser: seed rows past RLS, and what only a superuser can create or own.
  const asSuper = `
    -- The bootstrap revokes large-object creation from PUBLIC; this fixture re-opens it on purpose.
    GRANT EXECUTE ON FUNCTION lo_from_bytea(oid, bytea) TO tenantry_owner;
    INSERT INTO tenants (id, slug, name) VALUES ('${tenantA}', 'gate-a', 'A'), ('${tenantB}', 'gate-b', 'B');
    INSERT INTO students (tenant_id, id, student_no, first_name, last_name)
      VALUES ('${tenantA}', gen_random_uuid(), 'A-1', 'Alice', 'A'), ('${tenantB}', gen_random_uuid(), 'B-1', 'Bob-secret', 'B');
    INSERT INTO platform_admins (id, email, name, password_hash) VALUES (gen_random_uuid(), 'root@gate.test', 'Root', 'hash');

    CREATE VIEW gate_students_super_view AS SELECT tenant_id, first_name FROM students;
    CREATE MATERIALIZED VIEW gate_students_mat AS SELECT tenant_id, first_name FROM students;
    GRANT SELECT ON gate_students_super_view, gate_students_mat TO tenantry_app;

    CREATE FUNCTION gate_count_students() RETURNS bigint LANGUAGE sql SECURITY DEFINER
      SET search_path = public, pg_temp AS $$ SELECT count(*) FROM students $$;

    CREATE FUNCTION gate_peek(text) RETURNS boolean LANGUAGE plpgsql LEAKPROOF COST 0.0001
      AS $$ BEGIN RAISE NOTICE 'gate_peek %', $1; RETURN true; END $$;

    CREATE FUNCTION gate_fan_out() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
      AS $$ BEGIN INSERT INTO audit_log (tenant_id, id, action) SELECT id, gen_random_uuid(), 'gate-fan-out' FROM tenants;
                  RETURN NEW; END $$;
    REVOKE EXECUTE ON FUNCTION gate_fan_out() FROM PUBLIC;
    CREATE TRIGGER gate_fan_out_trg AFTER INSERT ON courses FOR EACH ROW EXECUTE FUNCTION gate_fan_out();

    CREATE ROLE ${ownerRole} NOLOGIN;
    CREATE ROLE ${midRole} NOLOGIN;
    GRANT ${ownerRole} TO ${midRole};
    GRANT ${midRole} TO tenantry_app;
    CREATE TABLE gate_owned (tenant_id uuid NOT NULL, note text);
    INSERT INTO gate_owned VALUES ('${tenantA}', 'a'), ('${tenantB}', 'b');
    ALTER TABLE gate_owned ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON gate_owned ${policy};
    ALTER TABLE gate_owned OWNER TO ${ownerRole};
    GRANT SELECT ON gate_owned TO tenantry_app;

  `;

  // As the owner: what a careless migration could add.
  const asOwner = `
    CREATE TABLE gate_parted (tenant_id uuid NOT NULL, region text NOT NULL, note text) PARTITION BY LIST (region);
    CREATE TABLE gate_parted_open PARTITION OF gate_parted FOR VALUES IN ('open');
    CREATE TABLE gate_parted_safe PARTITION OF gate_parted FOR VALUES IN ('safe');
    CREATE TABLE gate_parted_hidden PARTITION OF gate_parted FOR VALUES IN ('hidden');
    INSERT INTO gate_parted SELECT t, r, r FROM unnest(ARRAY['${tenantA}', '${tenantB}']::uuid[]) t,
      unnest(ARRAY['open', 'safe', 'hidden']) r;
    ALTER TABLE gate_parted ENABLE ROW LEVEL SECURITY;
    ALTER TABLE gate_parted FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON gate_parted ${policy};
    ALTER TABLE gate_parted_safe ENABLE ROW LEVEL SECURITY;
    ALTER TABLE gate_parted_safe FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON gate_parted_safe ${policy};
    GRANT SELECT ON gate_parted, gate_parted_open, gate_parted_safe TO tenantry_app;

    CREATE VIEW gate_admins_view AS SELECT email, password_hash FROM platform_admins;
    CREATE VIEW gate_students_owner_view AS SELECT tenant_id, first_name FROM students;
    CREATE VIEW gate_students_invoker WITH (security_invoker = true) AS SELECT tenant_id, first_name FROM students;
    CREATE VIEW gate_ungranted_view AS SELECT tenant_id FROM students;
    GRANT SELECT ON gate_admins_view, gate_students_owner_view, gate_students_invoker TO tenantry_app;

    CREATE FUNCTION gate_unpinned() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
    CREATE FUNCTION gate_reviewed() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT 1 $$;
    CREATE FUNCTION gate_revoked() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
    REVOKE EXECUTE ON FUNCTION gate_revoked() FROM PUBLIC;

    DO $$ DECLARE o oid := lo_from_bytea(0, convert_to('tenant B secret', 'UTF8'));
    BEGIN EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO tenantry_app', o); END $$;

    CREATE FUNCTION gate_notify_name() RETURNS trigger LANGUAGE plpgsql
      AS $$ BEGIN PERFORM pg_notify('gate_students', NEW.first_name); RETURN NEW; END $$;
    CREATE TRIGGER gate_notify_trg AFTER INSERT ON students FOR EACH ROW EXECUTE FUNCTION gate_notify_name();
    CREATE FUNCTION gate_notify_json() RETURNS trigger LANGUAGE plpgsql
      AS $$ BEGIN PERFORM pg_notify('gate_rows', row_to_json(NEW)::text); RETURN NEW; END $$;
    CREATE FUNCTION gate_notify_static() RETURNS void LANGUAGE sql AS $$ NOTIFY gate_static, 'hello' $$;
    CREATE FUNCTION gate_notify_atomic(p uuid) RETURNS void LANGUAGE sql
      BEGIN ATOMIC SELECT pg_notify('gate_atomic', p::text || 'x'); END;
    -- Sound twins: an id payload, a bare NOTIFY, and a comment that mentions notify.
    CREATE FUNCTION gate_notify_id() RETURNS trigger LANGUAGE plpgsql
      AS $$ BEGIN PERFORM pg_notify('gate_ids', NEW.id::text); RETURN NEW; END $$;
    CREATE FUNCTION gate_notify_bare() RETURNS void LANGUAGE plpgsql
      AS $$ BEGIN -- notify listeners, with nothing attached
                  NOTIFY gate_bare; END $$;
  `;
  /** Roles outlive the scratch database: drop them once it is gone. */
  async function dropRoles(superUrl: string) {
    const su = new pg.Client({ connectionString: superUrl });
    await su.connect();
    try {
      await su.query(`DROP ROLE IF EXISTS ${midRole}, ${ownerRole}`);
    } finally {
      await su.end();
    }
  }
  return { tenantA, tenantB, ownerRole, midRole, asSuper, asOwner, dropRoles };
}

/** Runs fn as the runtime role inside a tenant's request transaction (begin_request), then ends it. */
export async function inTenant<T>(
  pool: pg.Pool,
  tenant: string,
  fn: (c: pg.PoolClient) => Promise<T>,
  end = 'ROLLBACK',
): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT app.begin_request($1, null)', [tenant]);
    const result = await fn(c);
    await c.query(end);
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** The first column of every row. */
export const column = async (c: pg.ClientBase, sql: string) =>
  (await c.query<Record<string, unknown>>(sql)).rows.map((r) => Object.values(r)[0]);
