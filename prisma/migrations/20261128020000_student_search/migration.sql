-- Student search (`GET /students?q=`) served by an index under row-level security. ILIKE and
-- pg_trgm's operators are not LEAKPROOF, so the planner never uses them as index conditions
-- for a role under a policy; plain text equality is. student_search holds every distinct
-- three-character substring (trigram) of the lower-cased searchable columns of each student,
-- keyed by tenant first; a search finds candidates by trigram equality and checks them with
-- the real ILIKE. Derived data: maintained by a trigger on students (sql/06_search.sql), never
-- exported, removed with its student (and so with its tenant) by the foreign key.
CREATE TABLE "student_search" (
    "tenant_id" UUID NOT NULL,
    "student_id" UUID NOT NULL,
    "trigram" TEXT NOT NULL,
    CONSTRAINT "student_search_pkey" PRIMARY KEY ("tenant_id", "student_id", "trigram")
);
CREATE INDEX "student_search_trigram_idx" ON "student_search"("tenant_id", "trigram", "student_id");
ALTER TABLE "student_search" ADD CONSTRAINT "student_search_tenant_id_student_id_fkey" FOREIGN KEY ("tenant_id", "student_id") REFERENCES "students"("tenant_id", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- Existing students (the owner sees no rows of a forced table; sql/03_security.sql forces it
-- again right after). The same trigrams as app.search_trigrams, written out because sql/ is
-- applied after the migrations.
ALTER TABLE "students" NO FORCE ROW LEVEL SECURITY;
INSERT INTO "student_search" ("tenant_id", "student_id", "trigram")
SELECT DISTINCT s."tenant_id", s."id", substr(v.l, i, 3)
  FROM "students" s,
       LATERAL (VALUES (lower(s."first_name")), (lower(s."last_name")), (lower(s."student_no")), (lower(s."email"))) AS v(l),
       LATERAL generate_series(1, length(v.l) - 2) AS i;
