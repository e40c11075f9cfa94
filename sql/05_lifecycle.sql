-- The tenant state machine, enforced by the database as well as by TenantService: whatever
-- code (or SQL on the platform login) changes a tenant's status, only these moves exist:
--   active ⇄ suspended, active | suspended → deleted, deleted → active (restore, only before
--   purge_after), and deleting the row (purge) only from deleted.
-- Refusals raise TN409 (db/errors.ts turns it into 409 invalid_transition). SECURITY INVOKER:
-- it reads nothing but the row it guards.
CREATE OR REPLACE FUNCTION app.tenant_transition() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'deleted' THEN
      RAISE EXCEPTION 'cannot purge a tenant that is %', OLD.status USING ERRCODE = 'TN409';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
    -- The deletion marks move with the status only (nobody extends a grace period by hand).
    NEW.deleted_at := OLD.deleted_at;
    NEW.purge_after := OLD.purge_after;
    RETURN NEW;
  END IF;
  IF (OLD.status, NEW.status) NOT IN (('active', 'suspended'), ('suspended', 'active'),
      ('active', 'deleted'), ('suspended', 'deleted'), ('deleted', 'active')) THEN
    RAISE EXCEPTION 'cannot move a tenant from % to %', OLD.status, NEW.status USING ERRCODE = 'TN409';
  END IF;
  IF NEW.status = 'deleted' THEN
    NEW.deleted_at := pg_catalog.now();
  ELSIF OLD.status = 'deleted' THEN
    IF OLD.purge_after <= pg_catalog.now() THEN
      RAISE EXCEPTION 'the grace period of this deleted tenant is over' USING ERRCODE = 'TN409';
    END IF;
    NEW.deleted_at := NULL;
    NEW.purge_after := NULL;
  END IF;
  RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION app.tenant_transition() FROM PUBLIC;

DROP TRIGGER IF EXISTS tenant_transition ON public.tenants;
CREATE TRIGGER tenant_transition BEFORE UPDATE OF status, deleted_at, purge_after OR DELETE ON public.tenants
  FOR EACH ROW EXECUTE FUNCTION app.tenant_transition();

GRANT SELECT, INSERT ON platform_events TO tenantry_platform;
GRANT UPDATE (dispatched_at, attempts, next_attempt_at, failed_at, last_error) ON platform_events TO tenantry_platform;
