"""``csc load``: progress per file, the outcome, and an exit status a scheduler can act on."""

import os

import psycopg
import pytest
from click.testing import CliRunner

from csc.cli import cli

from ingest_extracts import ExtractSpec

pytestmark = pytest.mark.integration


@pytest.fixture
def run(warehouse_settings, monkeypatch):
    monkeypatch.setenv("CSC_HOME", str(warehouse_settings.home))
    monkeypatch.setenv("CSC_WAREHOUSE_URL", warehouse_settings.warehouse_url.get_secret_value())
    monkeypatch.setenv("CSC_AIRFLOW_DATABASE", warehouse_settings.airflow_database)
    return lambda *args: CliRunner().invoke(cli, ["load", *args], catch_exceptions=False)


def test_load_by_path_then_by_la(run, landing, warehouse_settings):
    folder = ExtractSpec().write(landing)
    result = run(str(folder))
    assert result.exit_code == 0, result.output
    assert "ssd_contacts.csv" in result.output and "loaded batch" in result.output
    assert "(no pers_gender" not in result.output
    assert "planner statistics of raw refreshed" in result.output
    with psycopg.connect(warehouse_settings.warehouse_url.get_secret_value()) as conn:
        analyzed = conn.execute("select last_analyze is not null from pg_stat_user_tables "
                                "where schemaname = 'raw' and relname = 'ssd_contacts'").fetchone()[0]
    assert analyzed
    ExtractSpec().write(landing)
    result = run("--la", "999")
    assert result.exit_code == 0 and "already loaded as batch" in result.output
    result = run("--la", "999")
    assert result.exit_code == 3 and "no extract waiting" in result.output
    # The folder loaded first has moved to the archive: loading it again is a clear error, not a traceback.
    result = run(str(folder))
    assert result.exit_code == 3
    assert f"no extract at {folder}" in result.output and "archive" in result.output


def test_refusal_exit_status_and_message(run, landing):
    folder = ExtractSpec().write(landing)
    (folder / "ssd_person.csv").write_bytes((folder / "ssd_person.csv").read_bytes()[:-20])
    result = run(str(folder))
    assert result.exit_code == 1
    assert "REFUSED (truncated_last_line) ssd_person.csv, line 4, column pers_legacy_id" in result.output
    assert "also: sha256" in result.output
    assert "quarantined at" in result.output
    assert os.path.isdir(result.output.split("quarantined at ")[1].split()[0])
