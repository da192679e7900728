"""Fixtures of the return tests: one warehouse with published marts (see returns_marts.py) for the session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target

from returns_marts import PublishedMarts, publish


@pytest.fixture(scope="session")
def published_warehouse(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedMarts]:
    """One warehouse with published marts for all the return tests: they only read it (each writes its own files)."""
    from csc.warehouse.bootstrap import init_warehouse

    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=tmp_path_factory.mktemp("returns") / "csc-home",
                        warehouse_url=pg_server.for_database(dbname).conninfo(), airflow_database=f"{dbname}_af")
    try:
        init_warehouse(settings)
        yield publish(settings)
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def published(published_warehouse: PublishedMarts, tmp_path: Path) -> PublishedMarts:
    """The published warehouse, with this test's own outputs folder."""
    settings = published_warehouse.settings.model_copy(update={"home": tmp_path / "csc-home"})
    return replace(published_warehouse, settings=settings)
