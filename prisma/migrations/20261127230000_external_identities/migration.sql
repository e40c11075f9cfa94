-- Users of an external identity provider: the provider's subject (`sub`), unique per tenant.
-- Such a user is provisioned on its first accepted token, with no password.
ALTER TABLE "users" ADD COLUMN "external_subject" TEXT;
CREATE UNIQUE INDEX "users_tenant_id_external_subject_key" ON "users"("tenant_id", "external_subject");
