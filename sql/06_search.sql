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

CREATE OR REPLACE FUNCTION app.student_search_update() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  DELETE FROM public.student_search WHERE tenant_id = OLD.tenant_id AND student_id = OLD.id;
  INSERT INTO public.student_search (tenant_id, student_id, trigram)
  SELECT NEW.tenant_id, NEW.id, g
    FROM unnest(app.search_trigrams(ARRAY[NEW.first_name, NEW.last_name, NEW.student_no, NEW.email])) AS g;
  RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION app.search_trigrams(text[]), app.student_search_insert(), app.student_search_update() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.search_trigrams(text[]) TO tenantry_app, tenantry_platform;

DROP TRIGGER IF EXISTS student_search_insert ON public.students;
CREATE TRIGGER student_search_insert AFTER INSERT ON public.students
  REFERENCING NEW TABLE AS new_students
  FOR EACH STATEMENT EXECUTE FUNCTION app.student_search_insert();
DROP TRIGGER IF EXISTS student_search_update ON public.students;
CREATE TRIGGER student_search_update AFTER UPDATE OF first_name, last_name, student_no, email ON public.students
  FOR EACH ROW
  WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name
        OR OLD.student_no IS DISTINCT FROM NEW.student_no OR OLD.email IS DISTINCT FROM NEW.email)
  EXECUTE FUNCTION app.student_search_update();
