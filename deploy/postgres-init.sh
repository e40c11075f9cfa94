#!/bin/sh
# The roles and database of README "External PostgreSQL", for compose.yaml's PostgreSQL (run
# once, by the image's entrypoint, on an empty data directory, as its superuser).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$TENANTRY_OWNER_PASSWORD" \
  -v app_password="$TENANTRY_APP_PASSWORD" \
  -v platform_password="$TENANTRY_PLATFORM_PASSWORD" <<'SQL'
CREATE ROLE tenantry_owner LOGIN NOSUPERUSER PASSWORD :'owner_password';
CREATE ROLE tenantry_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
CREATE ROLE tenantry_platform LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'platform_password';
CREATE DATABASE tenantry OWNER tenantry_owner;
REVOKE ALL ON DATABASE tenantry FROM PUBLIC;
GRANT CONNECT ON DATABASE tenantry TO tenantry_app, tenantry_platform;
\connect tenantry
REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) FROM PUBLIC;
SQL
