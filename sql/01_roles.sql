-- Roles Tenantry relies on, checked (not created) after every migration run. This file runs as
-- the owner, which has no CREATEROLE: the roles are created by a superuser beforehand — the
-- bootstrap for the embedded database and the tests, the administrator for an external one
-- (README, "External PostgreSQL"). On PostgreSQL 16+ even a CREATEROLE owner could not alter
-- roles it did not create, nor revoke memberships it did not grant.
--
--   tenantry_app       the runtime login: NOSUPERUSER, NOBYPASSRLS, owns nothing, a member of
--                      no role with cross-tenant policies. Its policies see one tenant.
--   tenantry_platform  the platform-admin login, on a pool of its own: NOSUPERUSER, NOBYPASSRLS.
--                      Its own policies grant cross-tenant access.
--
-- Attributes and memberships are verified by the server's start-up self-check, which refuses
-- to run when they would weaken isolation; this only stops a migration early with a clear
-- message when a role is missing.
DO $$
DECLARE
  v_missing text;
BEGIN
  SELECT pg_catalog.string_agg(r.name, ', ') INTO v_missing
    FROM pg_catalog.unnest(ARRAY['tenantry_app', 'tenantry_platform']) AS r(name)
   WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.name);
  IF v_missing IS NOT NULL THEN
    RAISE EXCEPTION 'missing role(s): %', v_missing
      USING HINT = 'create them as a superuser first (README, "External PostgreSQL")';
  END IF;
END
$$;
