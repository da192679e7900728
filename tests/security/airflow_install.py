"""One private install for the Airflow security tests: a fresh warehouse and Airflow database, a CSC_HOME, the LA
config, and the environment of the child processes (``csc airflow start``, ``csc backfill``) that run Airflow for real.

Imported by the test modules (no conftest here, so other suites' fixtures stay apart).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target

TESTS = Path(__file__).parents[1]
sys.path.insert(0, str(TESTS / "integration" / "alerts"))
sys.path.insert(0, str(TESTS / "integration" / "orchestration"))

from orch_helpers import Orchestration  # noqa: E402
from smtp_sink import free_port  # noqa: E402, F401  (re-exported for the tests)


def install(pg_server: Target, home: Path, generated: Path) -> Iterator[Orchestration]:
    """Create the install, yield it, drop its databases."""
    from csc.warehouse.bootstrap import init_warehouse

    dbname = f"csc_sec_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    settings = Settings(home=home, warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af", las_config=home / "las.yml")
    init_warehouse(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_", "AIRFLOW"))}
    env.update(CSC_HOME=str(home), CSC_WAREHOUSE_URL=settings.warehouse_url.get_secret_value(),
               CSC_AIRFLOW_DATABASE=settings.airflow_database, CSC_LAS_CONFIG=str(settings.las_config),
               CSC_RETRY_DELAY_SECONDS="1", CSC_EXTRACT_POLL_SECONDS="0.5", CSC_DQ_DATA_DOCS="false")
    orch = Orchestration(settings, env, generated, sink=None)  # type: ignore[arg-type]  (no SMTP: outbox)
    orch.write_las()
    try:
        yield orch
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, settings.airflow_database):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
