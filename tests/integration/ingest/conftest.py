"""Fixtures of the loader's tests; the extract builder itself is in ``ingest_extracts.py``.

``warehouse_settings`` is narrowed here: one initialised database per test module (created like the suite-wide
fixture in ``tests/conftest.py``), emptied before each test (raw tables and the ops records of loads), with a fresh
CSC home (landing, quarantine, archive) per test. Creating and dropping a database per test cost most of this
directory's run time; emptying tables gives each test the same clean warehouse.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.contract import load_contract
from csc.settings import Settings
from csc.warehouse.connection import Target, connect


@pytest.fixture(scope="module")
def _module_warehouse(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from csc.warehouse.bootstrap import init_warehouse

    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=tmp_path_factory.mktemp("csc-home"),
                        warehouse_url=pg_server.for_database(dbname).conninfo(), airflow_database=f"{dbname}_af")
    init_warehouse(settings)
    try:
        yield settings
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def warehouse_settings(_module_warehouse: Settings, tmp_path: Path) -> Settings:
    raw_tables = sql.SQL(", ").join(sql.Identifier("raw", t.name) for t in load_contract())
    with connect(_module_warehouse) as conn:
        conn.execute(sql.SQL("truncate {} ").format(raw_tables))
        conn.execute("truncate ops.extract_batches, ops.load_attempts restart identity cascade")
    return _module_warehouse.model_copy(update={"home": tmp_path / "csc-home"})


@pytest.fixture
def landing(warehouse_settings: Settings) -> Path:
    warehouse_settings.landing_dir.mkdir(parents=True, exist_ok=True)
    return warehouse_settings.landing_dir
