-- An index behind every foreign key, leading with its columns: without one, deleting a
-- referenced row (a user, a platform admin, a tenant's cascade) scans the referencing table,
-- and the foreign-key check on it locks more than it needs. A catalog test keeps it so.
CREATE INDEX "refresh_tokens_tenant_id_user_id_idx" ON "refresh_tokens"("tenant_id", "user_id");
CREATE INDEX "platform_refresh_tokens_admin_id_idx" ON "platform_refresh_tokens"("admin_id");
