-- Quotas that hold under concurrency (DESIGN invariant 11). A limited create first calls
-- app.lock_quota in its own tenant transaction: it locks the tenant's settings row until the
-- transaction ends, then counts the resource. Concurrent creates of one tenant queue on that
-- row; other tenants never wait. The count is a separate statement of a VOLATILE function, so
-- under READ COMMITTED it takes a new snapshot after the lock was granted and sees what the
-- previous holder committed (a single SELECT … FOR UPDATE with the count as a subquery would
-- count from the snapshot taken before it waited). SECURITY INVOKER: it runs under the
-- caller's tenant context and row-level security like any other statement.
CREATE OR REPLACE FUNCTION app.lock_quota(p_tenant uuid, p_resource text)
  RETURNS TABLE (plan text, limits jsonb, used integer)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  SELECT s.plan, s.limits INTO plan, limits
    FROM public.tenant_settings s WHERE s.tenant_id = p_tenant FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF p_resource = 'students' THEN
    used := (SELECT count(*) FROM public.students s WHERE s.tenant_id = p_tenant);
  ELSIF p_resource = 'users' THEN
    used := (SELECT count(*) FROM public.users u WHERE u.tenant_id = p_tenant);
  ELSIF p_resource = 'courses' THEN
    used := (SELECT count(*) FROM public.courses c WHERE c.tenant_id = p_tenant);
  ELSE
    RAISE EXCEPTION 'unknown quota resource %', p_resource USING ERRCODE = '22023';
  END IF;
  RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION app.lock_quota(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.lock_quota(uuid, text) TO tenantry_app;
