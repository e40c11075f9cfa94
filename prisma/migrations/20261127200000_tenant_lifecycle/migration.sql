-- Tenant lifecycle: active ⇄ suspended, active | suspended → deleted (soft, restorable until
-- purge_after), deleted → active (restore), deleted → gone (purge). The transition rules are
-- enforced by a trigger (sql/05_lifecycle.sql) as well as by the service; this adds the columns
-- and a CHECK that keeps them consistent with the status.

ALTER TABLE "tenants" DROP CONSTRAINT "tenants_status_check";
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_status_check" CHECK ("status" IN ('active', 'suspended', 'deleted'));
ALTER TABLE "tenants" ADD COLUMN "deleted_at" TIMESTAMPTZ(3);
ALTER TABLE "tenants" ADD COLUMN "purge_after" TIMESTAMPTZ(3);
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_deleted_check" CHECK (("status" = 'deleted') = ("deleted_at" IS NOT NULL AND "purge_after" IS NOT NULL));
CREATE INDEX "tenants_status_purge_after_idx" ON "tenants"("status", "purge_after");

-- Events that outlive their tenant (TenantPurged): a platform-owned outbox with no tenant_id,
-- so a purged tenant leaves no row in any tenant table. Payloads hold ids and counts only.
CREATE TABLE "platform_events" (
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "subject_id" UUID NOT NULL,
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "dispatched_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "platform_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "platform_events_dispatched_at_id_idx" ON "platform_events"("dispatched_at", "id");
