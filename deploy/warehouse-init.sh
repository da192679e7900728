#!/usr/bin/env bash
# Run once by the warehouse container on first start (docker-entrypoint-initdb.d): Metabase's own database.
# The warehouse schemas and roles are created by `csc init` (the airflow-init service).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
create role metabase login password '${METABASE_DB_PASSWORD}';
create database metabase owner metabase;
SQL
