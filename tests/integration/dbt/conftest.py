"""Fixtures of the dbt warehouse tests: a fresh warehouse database per module (see dbt_extracts.py for its data)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target


@pytest.fixture(scope="module")
def dbt_settings(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings for a fresh, initialised warehouse database of this module (dropped afterwards)."""
    from csc.warehouse.bootstrap import init_warehouse

    dbname = f"csc_dbt_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=tmp_path_factory.mktemp("csc-home"),
                        warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af", dbt_threads=4)
    init_warehouse(settings)
    try:
        yield settings
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
