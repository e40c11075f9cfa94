-- Outbox retries with backoff and a visible dead-letter state: an event is retried at
-- next_attempt_at; after the last attempt it gets failed_at (listed by
-- GET /api/v1/events?status=failed, retried by POST /api/v1/events/:id/retry) instead of being
-- silently parked. Events parked by the earlier dispatcher (10 failed attempts) become dead
-- letters. The owner sees no rows of a forced table, so FORCE is lifted for that rewrite;
-- sql/03_security.sql forces it again right after.

ALTER TABLE "domain_events" ADD COLUMN "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "domain_events" ADD COLUMN "failed_at" TIMESTAMPTZ(3);
ALTER TABLE "domain_events" ADD COLUMN "last_error" TEXT;
ALTER TABLE "domain_events" NO FORCE ROW LEVEL SECURITY;
UPDATE "domain_events" SET "failed_at" = CURRENT_TIMESTAMP WHERE "dispatched_at" IS NULL AND "attempts" >= 10;
ALTER TABLE "platform_events" ADD COLUMN "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "platform_events" ADD COLUMN "failed_at" TIMESTAMPTZ(3);
ALTER TABLE "platform_events" ADD COLUMN "last_error" TEXT;
CREATE INDEX "domain_events_failed_at_idx" ON "domain_events"("failed_at");
