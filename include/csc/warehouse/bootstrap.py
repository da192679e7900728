"""``csc init``: databases, roles, schemas, grants, ``ops`` tables and ``raw`` tables. Idempotent.

Roles (DESIGN.md section 3). Pipeline steps act as their role through ``SET ROLE`` whatever the login is:

============== ======= ===================================================================================
role           login   what it may do
============== ======= ===================================================================================
csc_owner      no      owns every schema and every object created here; nobody logs in as it
csc_loader     yes     writes ``raw`` and the ``ops`` records of loads and checks; reads ``raw``
csc_transformer yes    dbt: reads ``raw``, creates and owns the staging, intermediate, marts, casework models
csc_dq_reader  yes     reads ``ops`` (data-quality history, runs, alerts)
bi_reader      yes     reads ``marts`` only; password login (the BI tools' role); owns nothing
csc_casework   no      group of the per-team casework readers; rows filtered by row-level security
============== ======= ===================================================================================
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from csc.contract import load_contract
from csc.settings import Settings, get_settings
from csc.warehouse.connection import Target, resolve_target

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

OWNER = "csc_owner"
LOADER = "csc_loader"
TRANSFORMER = "csc_transformer"
DQ_READER = "csc_dq_reader"
BI_READER = "bi_reader"
CASEWORK = "csc_casework"

ROLES: dict[str, str] = {
    OWNER: "nologin",
    LOADER: "login",
    TRANSFORMER: "login",
    DQ_READER: "login",
    BI_READER: "login",
    CASEWORK: "nologin",
}

SCHEMAS: dict[str, str] = {
    "ops": "Batches, file loads, data-quality runs and results, pipeline runs, alerts. Never dropped by dbt.",
    "raw": "The extract as landed, every value as text, tagged with batch id and source line. Identifiable.",
    "staging": "dbt staging: typed, trimmed, codes normalised, ids pseudonymised. Restricted.",
    "intermediate": "dbt intermediate: reusable logic. Restricted.",
    "marts": "Facts, dimensions, indicators, daily history. Pseudonymised; for BI.",
    "casework": "Identifiable exception lists for team managers. Row-level security by team.",
}

_LOCK_KEY = 0x637363  # "csc": serialises concurrent `csc init` runs on one database


@dataclass
class InitReport:
    target: str
    created_databases: list[str] = field(default_factory=list)
    created_roles: list[str] = field(default_factory=list)
    applied_migrations: list[str] = field(default_factory=list)
    raw_tables: int = 0


def init_warehouse(settings: Settings | None = None) -> InitReport:
    settings = settings or get_settings()
    target = resolve_target(settings)
    report = InitReport(target=target.display())
    report.created_databases = _ensure_databases(settings, target)
    with psycopg.connect(target.conninfo(application_name="csc init")) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        report.created_roles = _ensure_roles(conn, settings)
        _ensure_schemas(conn)
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(OWNER)))
        report.applied_migrations = _apply_migrations(conn)
        report.raw_tables = _ensure_raw_tables(conn)
        conn.execute("reset role")
        _grant(conn, settings, target)
    return report


def _ensure_databases(settings: Settings, target: Target) -> list[str]:
    """The warehouse database and Airflow's metadata database, created when missing (the login must be allowed to
    create databases for that; a database created beforehand by a DBA is simply used)."""
    created = []
    with psycopg.connect(target.for_database("postgres").conninfo(), autocommit=True) as conn:
        for name in (target.dbname, settings.airflow_database):
            if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                continue
            try:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                continue  # created by a concurrent init
            except psycopg.errors.InsufficientPrivilege:
                raise RuntimeError(
                    f"Database {name!r} does not exist on {target.display()} and {target.user!r} may not create "
                    f"it: ask the server's administrator to create it (owned by {target.user!r})") from None
            created.append(name)
    return created


def _ensure_roles(conn: psycopg.Connection, settings: Settings) -> list[str]:
    created = []
    for role, login in ROLES.items():
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
        if not exists:
            # Roles are cluster-wide: a concurrent init on another database may create it first.
            with conn.transaction():
                try:
                    conn.execute(sql.SQL("create role {} " + login).format(sql.Identifier(role)))
                    created.append(role)
                except psycopg.errors.DuplicateObject:
                    pass
    # The BI role can log in over TCP with a password and must never own, bypass RLS or be superuser.
    conn.execute(
        sql.SQL("alter role {} login nosuperuser nocreatedb nocreaterole nobypassrls password {}").format(
            sql.Identifier(BI_READER), sql.Literal(settings.secret("bi_reader_password"))
        )
    )
    # Whoever runs init (and later the pipeline) must be able to act as the pipeline roles.
    is_super = conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]
    if not is_super:
        for role in (OWNER, LOADER, TRANSFORMER):
            conn.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(role)))
    return created


def _ensure_schemas(conn: psycopg.Connection) -> None:
    for schema, comment in SCHEMAS.items():
        conn.execute(sql.SQL("create schema if not exists {} authorization {}").format(
            sql.Identifier(schema), sql.Identifier(OWNER)))
        conn.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), sql.Identifier(OWNER)))
        conn.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(schema), sql.Literal(comment)))


def _apply_migrations(conn: psycopg.Connection) -> list[str]:
    conn.execute("""
        create table if not exists ops.schema_migrations (
            version    text primary key,
            applied_at timestamptz not null default now()
        )""")
    done = {row[0] for row in conn.execute("select version from ops.schema_migrations")}
    applied = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.stem in done:
            continue
        log.info("applying migration %s", path.name)
        conn.execute(path.read_text(encoding="utf-8"))
        conn.execute("insert into ops.schema_migrations (version) values (%s)", (path.stem,))
        applied.append(path.stem)
    return applied


def _ensure_raw_tables(conn: psycopg.Connection) -> int:
    from csc.ingest.raw_tables import ensure_raw_tables

    return ensure_raw_tables(conn, load_contract())


def _grant(conn: psycopg.Connection, settings: Settings, target: Target) -> None:
    ident = sql.Identifier
    stmts = [
        sql.SQL("revoke all on database {} from public").format(ident(target.dbname)),
        sql.SQL("grant connect, temporary on database {} to {}, {}, {}, {}").format(
            ident(target.dbname), ident(LOADER), ident(TRANSFORMER), ident(DQ_READER), ident(BI_READER)),
        # dbt builds new marts beside the published ones and swaps them in: it needs to create schemas.
        sql.SQL("grant create on database {} to {}").format(ident(target.dbname), ident(TRANSFORMER)),
        sql.SQL("revoke create on schema public from public"),
        # ops: the pipeline writes its records; the DQ reader reads them.
        sql.SQL("grant usage on schema ops to {}, {}, {}").format(ident(LOADER), ident(TRANSFORMER), ident(DQ_READER)),
        sql.SQL("grant select, insert, update, delete on all tables in schema ops to {}, {}").format(
            ident(LOADER), ident(TRANSFORMER)),
        sql.SQL("grant usage, select on all sequences in schema ops to {}, {}").format(
            ident(LOADER), ident(TRANSFORMER)),
        sql.SQL("grant select on all tables in schema ops to {}").format(ident(DQ_READER)),
        # raw: only the loader writes it; only the loader and dbt read it.
        sql.SQL("grant usage on schema raw to {}, {}").format(ident(LOADER), ident(TRANSFORMER)),
        sql.SQL("grant select, insert, delete, truncate on all tables in schema raw to {}").format(ident(LOADER)),
        sql.SQL("grant select on all tables in schema raw to {}").format(ident(TRANSFORMER)),
    ]
    for schema in ("staging", "intermediate", "marts", "casework"):
        stmts.append(sql.SQL("grant usage, create on schema {} to {}").format(ident(schema), ident(TRANSFORMER)))
    # BI reads marts only; tables made by dbt are granted by dbt's own `grants` config and by these defaults.
    stmts += [
        sql.SQL("grant usage on schema marts to {}").format(ident(BI_READER)),
        sql.SQL("alter default privileges for role {} in schema marts grant select on tables to {}").format(
            ident(TRANSFORMER), ident(BI_READER)),
        sql.SQL("grant usage on schema casework to {}").format(ident(CASEWORK)),
    ]
    for stmt in stmts:
        conn.execute(stmt)
