-- The schema Citus can distribute by tenant_id, with nothing changed for one node:
-- 1. Foreign keys that include tenant_id carry no ON UPDATE action (Citus refuses CASCADE on
--    a key that includes the distribution column; ids are never updated anyway).
-- 2. Enum columns become text with a CHECK: Prisma returns them as `col::text`, and Citus
--    refuses a non-IMMUTABLE cast in a RETURNING clause.
-- Every statement stands alone (the runner sends them one by one; Citus workers refuse
-- multi-statement DDL strings).

ALTER TABLE "tenant_settings" DROP CONSTRAINT "tenant_settings_tenant_id_fkey";
ALTER TABLE "tenant_settings" ADD CONSTRAINT "tenant_settings_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "users" DROP CONSTRAINT "users_tenant_id_fkey";
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "refresh_tokens" DROP CONSTRAINT "refresh_tokens_tenant_id_fkey";
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "refresh_tokens" DROP CONSTRAINT "refresh_tokens_user_fkey";
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_user_fkey" FOREIGN KEY ("tenant_id", "user_id") REFERENCES "users"("tenant_id", "id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "students" DROP CONSTRAINT "students_tenant_id_fkey";
ALTER TABLE "students" ADD CONSTRAINT "students_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "courses" DROP CONSTRAINT "courses_tenant_id_fkey";
ALTER TABLE "courses" ADD CONSTRAINT "courses_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "enrollments" DROP CONSTRAINT "enrollments_tenant_id_fkey";
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "enrollments" DROP CONSTRAINT "enrollments_tenant_id_course_id_fkey";
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_tenant_id_course_id_fkey" FOREIGN KEY ("tenant_id", "course_id") REFERENCES "courses"("tenant_id", "id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "enrollments" DROP CONSTRAINT "enrollments_tenant_id_student_id_fkey";
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_tenant_id_student_id_fkey" FOREIGN KEY ("tenant_id", "student_id") REFERENCES "students"("tenant_id", "id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "domain_events" DROP CONSTRAINT "domain_events_tenant_id_fkey";
ALTER TABLE "domain_events" ADD CONSTRAINT "domain_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
ALTER TABLE "audit_log" DROP CONSTRAINT "audit_log_tenant_id_fkey";
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

ALTER TABLE "tenants" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "tenants" ALTER COLUMN "status" TYPE TEXT USING "status"::text;
ALTER TABLE "tenants" ALTER COLUMN "status" SET DEFAULT 'active';
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_status_check" CHECK ("status" IN ('active', 'suspended'));
ALTER TABLE "users" ALTER COLUMN "role" TYPE TEXT USING "role"::text;
ALTER TABLE "users" ADD CONSTRAINT "users_role_check" CHECK ("role" IN ('tenant_admin', 'staff', 'viewer'));
DROP TYPE "tenant_status";
DROP TYPE "user_role";
