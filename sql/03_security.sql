-- Grants and row-level security. Re-applied after every migration run, so a table added by
-- a migration gets its policies here. Every table with a tenant_id column gets ENABLE and
-- FORCE row level security, the inlinable tenant policy for the runtime login and a policy
-- of its own for the platform login. A catalog test and the server's start-up self-check fail
-- if any table lacks them.
--
-- Data migrations: the policies name the two logins only, so with FORCE the owner (who runs
-- migrations) sees no rows of a tenant table and can insert none. A migration that must read
-- or rewrite tenant rows runs `ALTER TABLE <t> NO FORCE ROW LEVEL SECURITY` first, in its own
-- transaction; this file, applied right after, forces it again.
GRANT USAGE ON SCHEMA app TO tenantry_app, tenantry_platform;
GRANT USAGE ON SCHEMA public TO tenantry_app, tenantry_platform;
GRANT EXECUTE ON FUNCTION app.current_tenant_id(), app.current_user_id() TO tenantry_app, tenantry_platform;
-- Each context function for its own login only (older installs granted both to tenantry_app).
REVOKE ALL ON FUNCTION app.begin_request(uuid, uuid, text, timestamptz), app.begin_platform(uuid) FROM tenantry_app, tenantry_platform;
GRANT EXECUTE ON FUNCTION app.begin_request(uuid, uuid, text, timestamptz) TO tenantry_app;
GRANT EXECUTE ON FUNCTION app.begin_platform(uuid) TO tenantry_platform;

-- Least privilege: start from nothing (older installs granted more, and column grants go with
-- the table's), then grant exactly what each login's code runs. Nobody gets TRUNCATE (it skips
-- row-level security), and audit_log is append-only for both logins. Deleting a tenant
-- cascades through the foreign keys; PostgreSQL runs those deletes as the tables' owner, so
-- the platform login needs no DELETE on audit_log or domain_events for it.
-- (What `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM …` does, but only on what the owner
-- owns: that statement fails outright on a relation someone else created in public, which
-- would stop every start; the self-check still reports grants on such a relation.)
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.oid::pg_catalog.regclass AS rel, c.relkind
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM tenantry_app, tenantry_platform, PUBLIC',
      CASE WHEN r.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.rel);
  END LOOP;
END
$$;

-- Runtime login: its tenant's rows, through the tenant policy.
GRANT SELECT ON tenants TO tenantry_app;
GRANT SELECT, UPDATE ON tenant_settings TO tenantry_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, students, courses, enrollments, refresh_tokens TO tenantry_app;
GRANT SELECT, INSERT ON domain_events, audit_log TO tenantry_app;
-- Its own signing keys: read to sign and verify, insert a tenant's first key lazily.
GRANT SELECT, INSERT ON tenant_signing_keys TO tenantry_app;
-- Search trigrams: read by the search, written by the trigger on students as the login that
-- changes the student (a student's delete removes them through the foreign key).
GRANT SELECT, INSERT, DELETE ON student_search TO tenantry_app;

-- Platform login: every tenant's rows, through platform_all. Platform admins are created only
-- by the owner (at start); the outbox dispatcher marks delivery, never rewrites an event.
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, tenant_settings, users, students, courses, enrollments, refresh_tokens
  TO tenantry_platform;
GRANT SELECT, INSERT ON domain_events, audit_log TO tenantry_platform;
GRANT UPDATE (dispatched_at, attempts, next_attempt_at, failed_at, last_error) ON domain_events TO tenantry_platform;
GRANT SELECT, INSERT ON tenant_signing_keys TO tenantry_platform;
GRANT UPDATE (retired_at, revoked_at) ON tenant_signing_keys TO tenantry_platform;
GRANT SELECT, INSERT, DELETE ON student_search TO tenantry_platform;
GRANT SELECT ON platform_admins TO tenantry_platform;
GRANT SELECT, INSERT ON platform_refresh_tokens TO tenantry_platform;
GRANT UPDATE (used_at, revoked_at) ON platform_refresh_tokens TO tenantry_platform;

-- The tenants table is platform-owned: a tenant sees only its own row. One permissive policy
-- per role and command (what Supabase's splinter lint multiple_permissive_policies checks).
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_self ON tenants;
CREATE POLICY tenant_self ON tenants FOR SELECT TO tenantry_app USING (id = app.current_tenant_id());
DROP POLICY IF EXISTS platform_all ON tenants;
CREATE POLICY platform_all ON tenants TO tenantry_platform USING (true) WITH CHECK (true);

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.relname
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE pg_catalog.format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', t.relname);
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS tenant_isolation ON public.%I', t.relname);
    EXECUTE pg_catalog.format(
      'CREATE POLICY tenant_isolation ON public.%I TO tenantry_app USING (tenant_id = app.current_tenant_id()) '
      'WITH CHECK (tenant_id = app.current_tenant_id())', t.relname);
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS platform_all ON public.%I', t.relname);
    EXECUTE pg_catalog.format(
      'CREATE POLICY platform_all ON public.%I TO tenantry_platform USING (true) WITH CHECK (true)', t.relname);
  END LOOP;
END
$$;
