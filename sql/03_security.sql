-- Grants and row-level security. Re-applied after every migration run, so a table added by
-- a migration gets its policies here. Every table with a tenant_id column gets ENABLE and
-- FORCE row level security and the inlinable tenant policy; the platform role gets its own
-- policy. A catalog test and the server's start-up self-check fail if any table lacks them.
GRANT USAGE ON SCHEMA app TO tenantry_app, tenantry_platform;
GRANT USAGE ON SCHEMA public TO tenantry_app, tenantry_platform;
GRANT EXECUTE ON FUNCTION app.current_tenant_id(), app.current_user_id() TO tenantry_app, tenantry_platform;
-- Each context function for its own login only (older installs granted both to tenantry_app).
REVOKE ALL ON FUNCTION app.begin_request(uuid, uuid), app.begin_platform(uuid) FROM tenantry_app, tenantry_platform;
GRANT EXECUTE ON FUNCTION app.begin_request(uuid, uuid) TO tenantry_app;
GRANT EXECUTE ON FUNCTION app.begin_platform(uuid) TO tenantry_platform;

-- Tenant-facing privileges of the runtime role.
GRANT SELECT ON tenants TO tenantry_app;
GRANT SELECT, UPDATE ON tenant_settings TO tenantry_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, students, courses, enrollments, refresh_tokens TO tenantry_app;
GRANT SELECT, INSERT ON domain_events, audit_log TO tenantry_app;

-- Platform login: everything Tenantry owns, except the migration history; platform admins
-- are created by the owner.
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, tenant_settings, users, platform_refresh_tokens, refresh_tokens,
  students, courses, enrollments, domain_events, audit_log TO tenantry_platform;
REVOKE ALL ON TABLE platform_admins FROM tenantry_platform;
GRANT SELECT ON TABLE platform_admins TO tenantry_platform;
REVOKE ALL ON TABLE platform_admins, platform_refresh_tokens FROM tenantry_app;
REVOKE ALL ON TABLE "_prisma_migrations" FROM tenantry_app, tenantry_platform, PUBLIC;

-- The tenants table is platform-owned: a tenant sees only its own row.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_self ON tenants;
CREATE POLICY tenant_self ON tenants FOR SELECT USING (id = app.current_tenant_id());
DROP POLICY IF EXISTS platform_all ON tenants;
CREATE POLICY platform_all ON tenants TO tenantry_platform USING (true) WITH CHECK (true);

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t.relname);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app.current_tenant_id()) '
      'WITH CHECK (tenant_id = app.current_tenant_id())', t.relname);
    EXECUTE format('DROP POLICY IF EXISTS platform_all ON %I', t.relname);
    EXECUTE format('CREATE POLICY platform_all ON %I TO tenantry_platform USING (true) WITH CHECK (true)',
      t.relname);
  END LOOP;
END
$$;
