"""`make run` (``csc run``) end to end against a second PostgreSQL server, twice.

Acceptance of the foundation issue: with ``CSC_WAREHOUSE_URL`` set, ``csc run`` uses that server and starts no
embedded one; a second run reuses everything and changes no row count. The server here is a second PostgreSQL
started by this test (pgserver's binaries in a private folder), separate from the test session's server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.settings import PROJECT_ROOT
from csc.warehouse.connection import Target

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATABASE = "csc_make_run"


@pytest.fixture(scope="module")
def second_server() -> Iterator[Target]:
    from csc.warehouse.embedded import EmbeddedServer

    base = Path(tempfile.mkdtemp(prefix="csc-second-pg-"))
    server = EmbeddedServer(base / "pgdata")
    status = server.start()
    try:
        yield Target(host=str(status.socket_dir), port=status.port or 5432, user="postgres", dbname=DATABASE)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def csc_run(home: Path, target: Target) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_", "AIRFLOW"))}
    env.update(CSC_HOME=str(home), CSC_WAREHOUSE_URL=target.conninfo(), CSC_DEMO_SIZE="tiny")
    result = subprocess.run([sys.executable, "-m", "csc.cli", "run"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=1200, check=False)
    assert result.returncode == 0, f"csc run failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def row_counts(target: Target) -> dict[str, int]:
    """Exact row counts of every table the pipeline writes data into (raw, marts, casework)."""
    counts = {}
    with psycopg.connect(target.conninfo()) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'marts', 'casework') and table_type = 'BASE TABLE' "
            "order by 1, 2").fetchall()
        for schema, table in tables:
            counts[f"{schema}.{table}"] = conn.execute(
                sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            ).fetchone()[0]
        for table in ("extract_batches", "file_loads", "dbt_builds"):
            counts[f"ops.{table}"] = conn.execute(
                sql.SQL("select count(*) from ops.{} ").format(sql.Identifier(table))).fetchone()[0]
    return counts


def test_make_run_against_an_existing_server_twice_changes_no_row_count(second_server: Target, tmp_path: Path):
    home = tmp_path / "home"
    started = datetime.now(UTC)
    first = csc_run(home, second_server)
    finished = datetime.now(UTC)

    # The summary says what was done and where everything is.
    for expected in ("rows loaded per table", "data-quality checks", "models built", "quarterly return",
                     "Airflow UI", "BI tools"):
        assert expected in first.stdout, f"{expected!r} missing from the summary:\n{first.stdout}"
    # The demo extract carries warning-level faults: the checks report them and the performance leads' alert is in
    # the outbox (no SMTP configured), yet the marts are published.
    assert "warning rules failing: " in first.stdout and "ALLOC_OPEN_CASE_UNALLOCATED" in first.stdout
    assert list((home / "outbox").glob("dq_*.eml")), "no data-quality alert in the outbox"
    # Nothing embedded was started: the warehouse is the given server, which holds the Airflow database too.
    assert not (home / "pgdata").exists()
    with psycopg.connect(second_server.for_database("postgres").conninfo()) as conn:
        databases = {row[0] for row in conn.execute("select datname from pg_database")}
    assert {DATABASE, "csc_airflow"} <= databases
    # `airflow dags test` starts its run "at" the logical date (the UI showed "66d"): the run shows its real dates.
    with psycopg.connect(second_server.for_database("csc_airflow").conninfo()) as conn:
        runs = conn.execute("select logical_date, start_date, end_date from dag_run where dag_id = 'csc_nightly_999'"
                            ).fetchall()
    assert len(runs) == 1
    assert started <= runs[0][1] <= runs[0][2] <= finished, runs

    with psycopg.connect(second_server.conninfo()) as conn:
        published = conn.execute("select count(*) from ops.extract_batches where status = 'published'").fetchone()[0]
        indicators = conn.execute("select count(*) from marts.indicator_values").fetchone()[0]
    assert published == 1
    assert indicators > 0
    returns = list((home / "outputs" / "returns").glob("*/*/quarterly_return.xlsx"))
    assert len(returns) == 1, returns
    assert str(returns[0].parent) in first.stdout

    before = row_counts(second_server)
    assert before["raw.ssd_person"] > 0
    second = csc_run(home, second_server)
    assert "demo extract already generated" in second.stdout
    assert row_counts(second_server) == before
