-- Roles Tenantry relies on. Applied by the migration runner (as the owner/admin role) after
-- every migration run; idempotent. Creating roles needs CREATEROLE: on a managed PostgreSQL
-- where the migrating role lacks it, create these two roles beforehand (see README).
--
--   tenantry_app       the runtime login: NOSUPERUSER, NOBYPASSRLS, owns nothing.
--   tenantry_platform  NOLOGIN; the runtime switches to it with SET LOCAL ROLE for
--                      platform-admin work. Its own policies grant cross-tenant access.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_app') THEN
    CREATE ROLE tenantry_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_platform') THEN
    CREATE ROLE tenantry_platform NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT pg_has_role('tenantry_app', 'tenantry_platform', 'MEMBER') THEN
    GRANT tenantry_platform TO tenantry_app;
  END IF;
END
$$;
