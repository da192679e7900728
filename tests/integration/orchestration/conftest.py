"""Fixtures of the orchestration tests: a warehouse per module, a private CSC_HOME, the LA config, a real SMTP server.

The pipeline runs in child processes (``csc backfill``: real ``dag.test()`` runs; ``csc airflow start``: the real
scheduler), configured only through their environment, exactly as an operator would.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target

# Airflow (imported in-process by a few tests) reads its configuration when first imported: a private home.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="csc-airflow-test-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
sys.path.insert(0, str(Path(__file__).parents[1] / "alerts"))
sys.path.insert(0, str(Path(__file__).parent))

from orch_helpers import Orchestration  # noqa: E402
from smtp_sink import airflow_connection, start_sink  # noqa: E402


@pytest.fixture(scope="module")
def orchestration(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orchestration]:
    """A fresh warehouse and Airflow database, CSC_HOME, LA config and SMTP server for one test module."""
    from csc.warehouse.bootstrap import init_warehouse

    dbname = f"csc_orch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    home = tmp_path_factory.mktemp("csc-home")
    settings = Settings(home=home, warehouse_url=pg_server.for_database(dbname).conninfo(),
                        airflow_database=f"{dbname}_af", las_config=home / "las.yml")
    init_warehouse(settings)
    sink, controller = start_sink()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_", "AIRFLOW"))}
    env.update(CSC_HOME=str(home), CSC_WAREHOUSE_URL=settings.warehouse_url.get_secret_value(),
               CSC_AIRFLOW_DATABASE=settings.airflow_database, CSC_LAS_CONFIG=str(settings.las_config),
               CSC_RETRY_DELAY_SECONDS="1", CSC_EXTRACT_POLL_SECONDS="0.5", CSC_DQ_DATA_DOCS="false",
               AIRFLOW_CONN_CSC_SMTP=airflow_connection(controller.port))
    orch = Orchestration(settings, env, tmp_path_factory.mktemp("generated"), sink)
    orch.write_las()
    try:
        yield orch
    finally:
        controller.stop()
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, settings.airflow_database):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
