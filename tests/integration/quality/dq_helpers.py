"""Helpers of the data-quality and alert tests: a warehouse per test module (a check run costs seconds of Great
Expectations work, so a module runs it once and asserts many things on the result), the third-party warnings we
cannot fix, and readers of what a run flagged."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target

LAS_YML = """\
las:
  - code: "999"
    name: Testshire
    alerts:
      data_quality: [lead.one@testshire.example, lead.two@testshire.example]
      failures: [engineers@testshire.example]
  - code: "903"
    name: Countyshire
    alerts:
      data_quality: [lead@countyshire.example]
      failures: [engineers@countyshire.example]
"""


def add_third_party_warning_filters(items: list[pytest.Item], directory: Path) -> None:
    """Great Expectations and its dependencies warn at import and while validating; none of it is ours to fix."""
    for item in items:
        if Path(item.path).is_relative_to(directory):
            for message in THIRD_PARTY_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(message))


THIRD_PARTY_WARNINGS = [
    r"ignore:module 'sre_constants' is deprecated:DeprecationWarning",
    r"ignore:module 'sre_parse' is deprecated:DeprecationWarning",
]


def module_warehouse(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings for a fresh, initialised warehouse shared by one test module, with its own home and LA list."""
    from csc.warehouse.bootstrap import init_warehouse

    home = tmp_path_factory.mktemp("csc-home")
    las = home / "las.yml"
    las.write_text(LAS_YML)
    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=home, warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af", las_config=las, dq_data_docs=False,
                        alert_retry_seconds=0.05)
    init_warehouse(settings)
    try:
        yield settings
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def flagged(settings: Settings, dq_run_id: int) -> dict[str, set[tuple[str, str]]]:
    """Rule id -> every (table, record key) the run flagged."""
    from csc.warehouse.connection import connect

    found: dict[str, set[tuple[str, str]]] = {}
    with connect(settings) as conn:
        for rule_id, table, key in conn.execute(
                "select rule_id, table_name, record_key from ops.dq_failing_records where dq_run_id = %s",
                (dq_run_id,)):
            found.setdefault(rule_id, set()).add((table, key))
    return found


def results(settings: Settings, dq_run_id: int) -> dict[str, dict]:
    from csc.warehouse.connection import connect

    with connect(settings) as conn:
        cur = conn.execute("select * from ops.dq_results where dq_run_id = %s", (dq_run_id,))
        names = [c.name for c in cur.description]
        return {row[names.index("rule_id")]: dict(zip(names, row, strict=True)) for row in cur}
