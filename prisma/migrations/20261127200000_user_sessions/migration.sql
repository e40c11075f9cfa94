-- Deactivated users keep their rows but get no context (app.begin_request) and no login;
-- access tokens issued before tokens_valid_from (a password change) are refused at once.
ALTER TABLE "users" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "users" ADD COLUMN "tokens_valid_from" TIMESTAMPTZ(3);
