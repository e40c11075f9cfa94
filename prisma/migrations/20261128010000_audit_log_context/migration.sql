-- Every mutating request leaves an audit entry: who acted (a tenant user, a platform admin, or
-- the system itself), on what (target type and id), in which request, and — for a platform
-- admin's action on a tenant — the reason given in X-Audit-Reason. The log stays append-only
-- (sql/03_security.sql grants SELECT and INSERT only). Entries written before this carry the
-- kind of their actor by a one-time rewrite as the owner, who sees no rows of a forced table:
-- FORCE is lifted for it and sql/03_security.sql forces it again right after.

ALTER TABLE "audit_log" ADD COLUMN "actor_type" TEXT NOT NULL DEFAULT 'system';
ALTER TABLE "audit_log" ADD COLUMN "target_type" TEXT;
ALTER TABLE "audit_log" ADD COLUMN "target_id" UUID;
ALTER TABLE "audit_log" ADD COLUMN "request_id" TEXT;
ALTER TABLE "audit_log" ADD COLUMN "reason" TEXT;
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_type_check" CHECK ("actor_type" IN ('user', 'platform_admin', 'system'));
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_check" CHECK (("actor_type" = 'system') = ("actor_id" IS NULL));
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_request_id_check" CHECK (char_length("request_id") <= 128);
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_reason_check" CHECK (char_length("reason") BETWEEN 1 AND 500);
ALTER TABLE "audit_log" NO FORCE ROW LEVEL SECURITY;
UPDATE "audit_log" SET "actor_type" = CASE WHEN "actor_id" IN (SELECT "id" FROM "platform_admins") THEN 'platform_admin' ELSE 'user' END, "target_type" = 'tenant', "target_id" = "tenant_id" WHERE "actor_id" IS NOT NULL;
CREATE INDEX "audit_log_tenant_id_created_at_idx" ON "audit_log"("tenant_id", "created_at");
