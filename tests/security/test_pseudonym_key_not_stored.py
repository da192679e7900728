"""Finding 11: the pseudonymisation key and the HMAC pads derived from it (each equivalent to the key) reach dbt only
in the environment of the dbt process. One real nightly run (``csc backfill``: ``dag.test()``), then every text,
JSON and binary value of every table in the Airflow database (XComs, rendered template fields, serialized DAGs,
connections, variables, task logs...) and every file under the Airflow home and the logs folder is searched for the
key and both pads: none may hold any of them. Nor may the environment of the Airflow process that ran the tasks once
the run is over: the pads live in the dbt process's environment only (its children and its logs would carry them)."""

from __future__ import annotations

import contextlib
import gzip
import json
import subprocess
import sys
import zlib
from datetime import date
from types import SimpleNamespace

import psycopg
import pytest
from airflow_install import install
from psycopg import sql

from csc.transform.environment import hmac_pads
from csc.warehouse.connection import resolve_target

pytestmark = [pytest.mark.integration, pytest.mark.dags, pytest.mark.slow, pytest.mark.security]

LA = "999"
NIGHT = date(2026, 6, 30)
SEARCHED_TYPES = ("text", "character varying", "character", "json", "jsonb", "bytea", "xml")


AFTER_RUN = """
import json, os, sys
from csc.cli import cli
from csc.settings import get_settings
from csc.transform.environment import hmac_pads
try:
    cli(["backfill", "--la", "{la}", "--from", "{night}", "--to", "{night}"], prog_name="csc")
except SystemExit as done:
    code = done.code
else:
    code = 0
key = get_settings().secret("pseudonym_key")
values = [key, *hmac_pads(key)]
with open("{out}", "w") as out:
    json.dump(sorted(k for k, v in os.environ.items() if any(x in v for x in values)), out)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def night(pg_server, tmp_path_factory):
    for orch in install(pg_server, tmp_path_factory.mktemp("csc-home"), tmp_path_factory.mktemp("generated")):
        orch.land(orch.generate(NIGHT)[0])
        environ = orch.generated / "environ-after-run.json"
        # `csc backfill` (dag.test() in this very process), then: which variables of the process hold a pad?
        done = subprocess.run([sys.executable, "-c", AFTER_RUN.format(la=LA, night=NIGHT.isoformat(), out=environ)],
                              env=orch.env, capture_output=True, text=True, timeout=1200)
        yield SimpleNamespace(orch=orch, done=done, environ=environ)


def secrets_of(orch) -> dict[str, bytes]:
    key = orch.settings.secret("pseudonym_key")
    inner, outer = hmac_pads(key)
    return {"the pseudonymisation key": key.encode(), "the HMAC inner pad": inner.encode(),
            "the HMAC outer pad": outer.encode()}


def variants(value: object) -> list[bytes]:
    """The bytes of a stored value, and its decompressed form when it is compressed (serialized DAGs may be)."""
    raw = value if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()
    raw = bytes(raw)
    found = [raw]
    for decompress in (zlib.decompress, gzip.decompress):
        with contextlib.suppress(Exception):  # not compressed
            found.append(decompress(raw))
    return found


def test_the_nightly_run_built_the_marts(night):
    assert night.done.returncode == 0, night.done.stdout + night.done.stderr
    assert night.orch.query("select status from ops.extract_batches") == [("published",)]


def test_the_airflow_process_keeps_no_pad_in_its_environment(night):
    assert json.loads(night.environ.read_text()) == []


def test_no_airflow_table_holds_the_key_or_a_pad(night):
    orch = night.orch
    secrets = secrets_of(orch)
    columns = orch.airflow_query(
        "select table_schema, table_name, column_name from information_schema.columns c "
        "join information_schema.tables t using (table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') "
        "and c.data_type = any(%s) order by 1, 2, 3", (list(SEARCHED_TYPES),))
    tables = {(schema, table) for schema, table, _ in columns}
    assert ("public", "rendered_task_instance_fields") in tables and ("public", "xcom") in tables
    rows_searched = orch.airflow_query("select count(*) from task_instance where dag_id = %s", (f"csc_nightly_{LA}",))
    assert rows_searched[0][0] > 0, "the nightly DAG left no task instance to search"
    found = []
    target = resolve_target(orch.settings).for_database(orch.settings.airflow_database)
    with psycopg.connect(target.conninfo()) as conn:
        for schema, table, column in columns:
            values = conn.execute(sql.SQL("select {} from {}.{} where {} is not null").format(
                sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table),
                sql.Identifier(column))).fetchall()
            for (value,) in values:
                for data in variants(value):
                    found += [f"{schema}.{table}.{column}: {what}"
                              for what, secret in secrets.items() if secret in data]
    assert not found, sorted(set(found))


def test_no_file_under_the_airflow_home_or_the_logs_holds_the_key_or_a_pad(night):
    settings = night.orch.settings
    secrets = secrets_of(night.orch)
    files = [p for root in (settings.airflow_home, settings.logs_dir) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files), "no log file was written: nothing was searched"
    found = []
    for path in files:
        for data in variants(path.read_bytes()):
            found += [f"{path}: {what}" for what, secret in secrets.items() if secret in data]
    assert not found, sorted(set(found))
