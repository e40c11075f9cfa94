-- Student search: the trigrams of public.student_search (see its migration) and the trigger
-- that keeps them in step with students. SECURITY INVOKER: the trigger writes as the login
-- that changed the student, through that login's policy on student_search, so a student's
-- trigrams can only ever be written under the student's own tenant.

-- Every distinct three-character substring of the lower-cased parts. A search term's trigrams
-- come from the same function, so lower() treats term and columns alike, as ILIKE does.
CREATE OR REPLACE FUNCTION app.search_trigrams(parts text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT coalesce(array_agg(DISTINCT substr(l, i, 3)), '{}')
      FROM unnest(parts) AS p, lower(p) AS l, generate_series(1, length(l) - 2) AS i
  $$;

-- Inserts: once per statement over the transition table, so a bulk create or an import batch
-- writes its trigrams in one INSERT.
CREATE OR REPLACE FUNCTION app.student_search_insert() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  INSERT INTO public.student_search (tenant_id, student_id, trigram)
  SELECT n.tenant_id, n.id, g
    FROM new_students n,
         unnest(app.search_trigrams(ARRAY[n.first_name, n.last_name, n.student_no, n.email])) AS g;
  RETURN NULL;
END
$$;

-- One student's trigrams as one INSERT … VALUES. On Citus the trigger runs on the worker that
-- holds the student's shard, and a VALUES insert is routed to the co-located search shard,
-- where an INSERT … SELECT would be planned as a COPY (refused under row-level security) and a
-- transition table is not visible at all.
CREATE OR REPLACE FUNCTION app.student_search_write(p_tenant uuid, p_student uuid, parts text[]) RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  v text;
BEGIN
  SELECT string_agg(format('(%L, %L, %L)', p_tenant, p_student, g), ', ') INTO v
    FROM unnest(app.search_trigrams(parts)) AS g;
  IF v IS NOT NULL THEN
    EXECUTE 'INSERT INTO public.student_search (tenant_id, student_id, trigram) VALUES ' || v;
  END IF;
END
$$;

-- Inserts on Citus: once per row (see above).
CREATE OR REPLACE FUNCTION app.student_search_insert_row() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  PERFORM app.student_search_write(NEW.tenant_id, NEW.id, ARRAY[NEW.first_name, NEW.last_name, NEW.student_no, NEW.email]);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION app.student_search_update() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  DELETE FROM public.student_search WHERE tenant_id = OLD.tenant_id AND student_id = OLD.id;
  PERFORM app.student_search_write(NEW.tenant_id, NEW.id, ARRAY[NEW.first_name, NEW.last_name, NEW.student_no, NEW.email]);
  RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION app.search_trigrams(text[]), app.student_search_write(uuid, uuid, text[]),
  app.student_search_insert(), app.student_search_insert_row(), app.student_search_update() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.search_trigrams(text[]), app.student_search_write(uuid, uuid, text[])
  TO tenantry_app, tenantry_platform;

-- One statement-level trigger on PostgreSQL (a bulk create or an import batch writes its
-- trigrams in one INSERT); one per row on Citus, whose workers cannot see a transition table.
DO $$
BEGIN
  DROP TRIGGER IF EXISTS student_search_insert ON public.students;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    CREATE TRIGGER student_search_insert AFTER INSERT ON public.students
      FOR EACH ROW EXECUTE FUNCTION app.student_search_insert_row();
  ELSE
    CREATE TRIGGER student_search_insert AFTER INSERT ON public.students
      REFERENCING NEW TABLE AS new_students
      FOR EACH STATEMENT EXECUTE FUNCTION app.student_search_insert();
  END IF;
END
$$;
DROP TRIGGER IF EXISTS student_search_update ON public.students;
CREATE TRIGGER student_search_update AFTER UPDATE OF first_name, last_name, student_no, email ON public.students
  FOR EACH ROW
  WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name
        OR OLD.student_no IS DISTINCT FROM NEW.student_no OR OLD.email IS DISTINCT FROM NEW.email)
  EXECUTE FUNCTION app.student_search_update();
