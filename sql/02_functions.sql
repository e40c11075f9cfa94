-- Tenant context. Policies call app.current_tenant_id(): LANGUAGE sql and STABLE so the
-- planner inlines it and uses (tenant_id, ...) indexes. After a transaction that set the
-- tenant ends, the same pooled connection reads the setting as '' (not NULL), hence nullif.
--
-- These two carry no SET search_path: a function with a SET clause is never inlined (the
-- setting would have to be applied around every call), so the policy would become a per-row
-- function call. Every name inside is schema-qualified instead. Every plpgsql function below
-- pins search_path = pg_catalog, pg_temp and qualifies what it reads.
CREATE SCHEMA IF NOT EXISTS app;

CREATE OR REPLACE FUNCTION app.current_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(pg_catalog.current_setting('app.current_tenant_id', true), '')::pg_catalog.uuid $$;

CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(pg_catalog.current_setting('app.current_user_id', true), '')::pg_catalog.uuid $$;

-- First statement of every tenant transaction (runtime login only): sets the context with
-- SET LOCAL (Citus only forwards SET LOCAL to workers, never set_config) and returns the
-- tenant's status in the same round trip. Unknown, deleted and suspended tenants (and users that no
-- longer exist) raise, so no tenant context can be had for them whatever the application
-- does. Never used inside a policy. The function's own SET clause restores only search_path
-- on exit; the SET LOCALs of other settings stay for the rest of the transaction.
CREATE OR REPLACE FUNCTION app.begin_request(p_tenant uuid, p_user uuid DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  v_status text;
BEGIN
  IF p_tenant IS NULL THEN
    RAISE EXCEPTION 'tenant context requires a tenant id' USING ERRCODE = 'TN400';
  END IF;
  EXECUTE pg_catalog.format('SET LOCAL app.current_tenant_id = %L', p_tenant);
  EXECUTE pg_catalog.format('SET LOCAL app.current_user_id = %L', coalesce(p_user::text, ''));
  SELECT t.status::text INTO v_status FROM public.tenants t WHERE t.id = p_tenant;
  -- A deleted tenant (soft, restorable) is gone for its users, like one that never existed.
  IF v_status IS NULL OR v_status = 'deleted' THEN
    RAISE EXCEPTION 'unknown tenant' USING ERRCODE = 'TN404';
  ELSIF v_status <> 'active' THEN
    RAISE EXCEPTION 'tenant is %', v_status USING ERRCODE = 'TN403';
  END IF;
  IF p_user IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM public.users u WHERE u.tenant_id = p_tenant AND u.id = p_user) THEN
    RAISE EXCEPTION 'unknown user' USING ERRCODE = 'TN401';
  END IF;
  RETURN v_status;
END
$$;

-- First statement of every platform-admin transaction (platform login only): records the
-- acting admin for the audit trail. Cross-tenant access comes from the platform login's own
-- policies, never from a role switch or an OR arm in the tenant policy.
CREATE OR REPLACE FUNCTION app.begin_platform(p_admin uuid DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  EXECUTE pg_catalog.format('SET LOCAL app.current_user_id = %L', coalesce(p_admin::text, ''));
END
$$;

REVOKE ALL ON FUNCTION app.begin_request(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION app.begin_platform(uuid) FROM PUBLIC;
