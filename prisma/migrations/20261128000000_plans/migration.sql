-- Plans renamed: free → basic, standard → premium (enterprise keeps its name; custom is new).
-- Existing tenants keep working under the new names; clients may still send the old ones as
-- deprecated aliases. A CHECK keeps the column to the plans the code knows. The owner sees no
-- rows of a forced table, so FORCE is lifted for the rewrite; sql/03_security.sql forces it
-- again right after.

ALTER TABLE "tenant_settings" DROP CONSTRAINT IF EXISTS "tenant_settings_plan_check";
ALTER TABLE "tenant_settings" NO FORCE ROW LEVEL SECURITY;
UPDATE "tenant_settings" SET "plan" = 'basic' WHERE "plan" = 'free';
UPDATE "tenant_settings" SET "plan" = 'premium' WHERE "plan" = 'standard';
UPDATE "tenant_settings" SET "plan" = 'basic' WHERE "plan" NOT IN ('basic', 'premium', 'enterprise', 'custom');
ALTER TABLE "tenant_settings" ALTER COLUMN "plan" SET DEFAULT 'basic';
ALTER TABLE "tenant_settings" ADD CONSTRAINT "tenant_settings_plan_check" CHECK ("plan" IN ('basic', 'premium', 'enterprise', 'custom'));
