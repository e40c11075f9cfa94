-- Per-tenant access-token signing keys (TENANT_SIGNING_KEYS=true). A tenant table like the
-- others (tenant_id first, row-level security from sql/03_security.sql), so a key is read
-- under its own tenant's context and goes with the tenant when it is purged. The private key
-- is stored encrypted (AES-256-GCM under a key-encryption key from configuration). At most one
-- key per tenant signs: the one neither retired (by a rotation; it still verifies for one
-- token lifetime) nor revoked (verifies nothing).
CREATE TABLE "tenant_signing_keys" (
    "tenant_id" UUID NOT NULL,
    "kid" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_key_enc" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "tenant_signing_keys_pkey" PRIMARY KEY ("tenant_id", "kid")
);
CREATE UNIQUE INDEX "tenant_signing_keys_signing_key" ON "tenant_signing_keys"("tenant_id") WHERE "retired_at" IS NULL AND "revoked_at" IS NULL;
ALTER TABLE "tenant_signing_keys" ADD CONSTRAINT "tenant_signing_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION;
