"""Every query ``csc extract`` sends compiles for SQL Server (no SQL Server runs here), the transient SQL Server and
PostgreSQL errors are told from the rest, the source resolves from an Airflow connection, and the change summary's
key choice follows the profile."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pymssql
import pytest
from psycopg import errors as pg

from csc.contract import load_contract
from csc.extract.connection import airflow_connection_url, parse_source_url
from csc.extract.errors import SourceRefused, classify
from csc.extract.queries import columns_query, compile_sql, copy_statement, table_select
from csc.extract.run import _present_columns, wanted_tables
from csc.ingest.changes import stable_key, volume_warning
from csc.settings import Settings

pytestmark = [pytest.mark.unit]


@pytest.mark.parametrize("schema", [None, "ssd"])
def test_every_query_compiles_for_sql_server(schema):
    from sqlalchemy.dialects import mssql

    tables = [t.name for t in load_contract()]
    catalog = compile_sql(columns_query("mssql", schema, tables), "mssql")
    assert "information_schema.columns" in catalog.lower()
    assert ("'ssd'" if schema else "SCHEMA_NAME()") in catalog
    for table in load_contract():
        statement = table_select(table.name, table.column_names, schema)
        text = str(statement.compile(dialect=mssql.pymssql.dialect()))
        assert text.startswith("SELECT ") and (f"FROM {schema}.{table.name}" if schema else
                                               f"FROM {table.name}") in text
        assert all(c in text for c in table.column_names)
    # The snapshot: SQLAlchemy's SQL Server dialect sets SNAPSHOT isolation on the extract's connection.
    assert "SNAPSHOT" in mssql.pymssql.dialect()._isolation_lookup


def test_postgres_copy_reads_the_contract_columns_as_csv_with_a_header():
    statement = copy_statement("ssd_person", ["pers_person_id", "pers_dob"], "ssd")
    assert statement == ("COPY (SELECT pers_person_id, pers_dob \nFROM ssd.ssd_person) TO STDOUT WITH "
                         "(FORMAT csv, HEADER)")


@pytest.mark.parametrize(("number", "reason"), [(3961, "rebuild_interfered"), (1205, "deadlock_victim"),
                                                (20003, "timeout"), (20047, "connection_lost")])
def test_sql_server_errors_worth_another_attempt(number, reason):
    error = pymssql.exceptions.OperationalError(number, b"SQL Server says so")
    found = classify(error)
    assert found is not None and found.reason == reason and isinstance(found, ConnectionError)


def test_other_errors_are_not_retried():
    assert classify(pymssql.exceptions.ProgrammingError(208, b"Invalid object name 'ssd_person'.")) is None
    assert classify(ValueError("a bug")) is None
    assert classify(pg.DeadlockDetected("deadlock detected")).reason == "deadlock_victim"
    assert classify(pg.QueryCanceled("canceling statement due to statement timeout")).reason == "timeout"


def test_missing_tables_are_named_and_mosaic_is_explained():
    tables = wanted_tables(None)
    rows = [(t.name, c) for t in tables if t.name not in ("ssd_person", "ssd_cla_episodes") for c in t.column_names]
    with pytest.raises(SourceRefused) as refused:
        _present_columns(rows, tables, "mssql")
    assert "ssd_person, ssd_cla_episodes" in str(refused.value) and "##" in str(refused.value)
    # Upper-case names as SQL Server may return them; an optional column absent is read as missing.
    rows = [(t.name.upper(), c.upper()) for t in tables for c in t.column_names if c != "pers_nationality"]
    present = _present_columns(rows, tables, "mssql")
    assert "pers_nationality" not in present["ssd_person"] and "pers_person_id" in present["ssd_person"]


def test_hr_views_are_left_out_when_the_source_has_none():
    from csc.las import SourceDatabase

    assert {t.name for t in wanted_tables(SourceDatabase(connection="x", hr=False))} == {
        t.name for t in load_contract() if t.source == "ssd"}


def test_the_source_comes_from_an_airflow_connection(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_CSC_SSD_999", "mssql://reader:p%40ss@sql.example:1433/reporting")
    source = airflow_connection_url("csc_ssd_999")
    assert source.kind == "mssql"
    assert source.sqlalchemy_url().drivername == "mssql+pymssql"
    assert source.url.password == "p@ss" and "p@ss" not in source.redacted
    monkeypatch.setenv("AIRFLOW_CONN_CSC_SSD_998", json.dumps(
        {"conn_type": "postgres", "host": "/run/postgresql", "login": "reader", "schema": "eclipse"}))
    source = airflow_connection_url("csc_ssd_998")
    assert source.kind == "postgresql"
    assert "host=/run/postgresql" in source.psycopg_conninfo() and "dbname=eclipse" in source.psycopg_conninfo()
    with pytest.raises(SourceRefused):
        parse_source_url("oracle://x@y/z")


def test_stable_key_follows_the_profile():
    care_leavers = load_contract().table("ssd_care_leavers")
    assert stable_key(care_leavers).compared_by == "primary_key"
    person_col = next(c for c in care_leavers.column_names if c.endswith("person_id"))
    natural = stable_key(care_leavers, SimpleNamespace(natural_keys={"ssd_care_leavers": [person_col]}))
    assert natural.compared_by == "natural_key" and natural.columns == (person_col,)
    assert not set(care_leavers.primary_key) & set(natural.hashed), "the random key is not part of the row hash"
    # A csc.contract.profiles.Profile answers through natural_key(table): a tuple, or None for the primary key.
    profile = SimpleNamespace(natural_key=lambda table: (person_col,) if table == "ssd_care_leavers" else None)
    assert stable_key(care_leavers, profile).compared_by == "natural_key"
    assert stable_key(load_contract().table("ssd_person"), profile).compared_by == "primary_key"
    content = stable_key(care_leavers, SimpleNamespace(natural_keys={"ssd_care_leavers": "content"}))
    assert content.compared_by == "content_hash" and content.columns == ()


def test_a_night_changing_nearly_every_row_is_a_warning():
    settings = Settings(change_warn_share=0.9, change_warn_min_rows=20)
    assert volume_warning(new=2, changed=95, deleted=1, unchanged=5, settings=settings) is not None
    assert "re-keyed" in volume_warning(new=100, changed=0, deleted=100, unchanged=0, settings=settings)
    assert volume_warning(new=5, changed=10, deleted=2, unchanged=90, settings=settings) is None
    assert volume_warning(new=0, changed=10, deleted=0, unchanged=0, settings=settings) is None  # too small


def test_sql_server_values_are_written_as_the_loader_reads_them():
    from datetime import date, datetime
    from decimal import Decimal

    from csc.extract.run import _text
    from csc.ingest.dates import is_date

    assert _text(datetime(2024, 12, 10)) == "2024-12-10 00:00:00"
    assert _text(datetime(2024, 12, 10, 9, 30, 0, 123000)) == "2024-12-10 09:30:00.123000"
    assert is_date(_text(datetime(2024, 12, 10, 9, 30, 0, 123000)).encode())  # as the loader's date check reads it
    assert _text(date(2024, 12, 10)) == "2024-12-10"
    assert _text(None) is None and _text("") == ""
    assert _text(Decimal("0.50")) == "0.50" and _text(0.5) == "0.5" and _text(7) == "7"


@pytest.mark.parametrize("uri", [
    "mssql://csc%5Freader:p%40ss%2Fword@sql.council.example:1433/Reporting%20DB?tds_version=7.4&login_timeout=30",
    "postgres://reader@%2Frun%2Fpostgresql/eclipse",
    "postgres://reader:pw@db.example/eclipse?__extra__=%7B%22sslmode%22%3A+%22require%22%7D",
])
def test_the_environment_connection_reads_as_airflow_reads_it(uri):
    from airflow.models.connection import Connection

    from csc.extract.connection import _from_environment

    theirs = Connection(conn_id="x", uri=uri)
    ours = _from_environment(uri)
    assert (ours.conn_type, ours.host, ours.login, ours.password, ours.port, ours.schema) == (
        theirs.conn_type, theirs.host or None, theirs.login or None, theirs.password or None, theirs.port,
        theirs.schema or None)
    # Airflow reads "30" in a URI as a number: the URL built from either is the same text.
    assert {k: str(v) for k, v in (ours.extra or {}).items()} == {k: str(v) for k, v in theirs.extra_dejson.items()}
