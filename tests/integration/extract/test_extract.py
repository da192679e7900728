"""``csc extract`` against a real PostgreSQL source: the SSD as an Eclipse deployment holds it (tables and types from
the contract, filled by the generator), read into landing, loaded, and compared night to night."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from csc import batches
from csc.contract import load_contract
from csc.extract import SourceRefused, SourceTransient, extract_source
from csc.ingest import load_extract
from csc.ingest.changes import compute_changes
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect
from csc_synthetic.source_database import read_changes

from source_db_setup import FIRST, LA, LAST

pytestmark = [pytest.mark.integration]


def landing(source) -> Path:
    return source.settings.landing_dir / LA


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def publish_for_test(settings, batch_id: int) -> None:
    """The batch's real transitions to published (the nightly DAG test publishes through dbt for real)."""
    with connect(settings, role=LOADER) as conn:
        batches.mark_checked(conn, batch_id)
        batches.mark_published(conn, batch_id)


def test_two_nights_from_the_source_give_the_generators_changes_exactly(source):
    settings = source.settings
    source.fill(FIRST)
    first = extract_source(LA, FIRST, settings)
    assert first.status == "extracted" and first.attempts == 1
    assert visible(landing(source)) == [FIRST.isoformat()]
    assert list((landing(source) / ".extracting").iterdir()) == [landing(source) / ".extracting" / "lock"]
    manifest = json.loads((first.folder / "manifest.json").read_text())
    assert {f["table"] for f in manifest["files"]} == set(load_contract().tables)
    assert first.total_rows == sum(f["rows"] for f in manifest["files"]) > 0
    loaded = load_extract(first.folder, settings)
    assert loaded.status == "loaded"
    assert sum(loaded.rows.values()) == first.total_rows
    publish_for_test(settings, loaded.batch_id)

    source.fill(LAST)
    second = extract_source(LA, LAST, settings)
    batch = load_extract(second.folder, settings).batch_id
    summaries = {s.table: s for s in compute_changes(batch, settings)}

    record = read_changes(source.changes_csv)
    assert sum(len(record[t]["deleted"]) for t in record) > 0, "the generator's second night deletes rows"
    for table in load_contract():
        expected = record.get(table.name, {"new": set(), "changed": set(), "deleted": set()})
        got = summaries[table.name]
        assert (got.new, got.changed, got.deleted) == (len(expected["new"]), len(expected["changed"]),
                                                       len(expected["deleted"])), table.name
        assert got.compared_by == "primary_key"
        assert got.warning is None
    with connect(settings, role=LOADER) as conn:
        stored = conn.execute("select table_name, rows_new, rows_changed, rows_deleted, previous_batch_id "
                              "from ops.extract_changes where batch_id = %s", (batch,)).fetchall()
        reads = conn.execute("select e.status, e.extract_date, count(*), sum(t.rows) from ops.source_extracts e "
                             "join ops.source_extract_tables t using (extract_id) group by 1, 2 order by 2").fetchall()
    assert {r[0]: r[1:4] for r in stored} == {t: (s.new, s.changed, s.deleted) for t, s in summaries.items()}
    assert {r[4] for r in stored} == {loaded.batch_id}
    tables = len(load_contract().tables)
    assert reads == [("complete", FIRST, tables, first.total_rows), ("complete", LAST, tables, second.total_rows)]

    again = extract_source(LA, LAST, settings)  # a re-run of the night: already loaded, nothing read
    assert again.status == "skipped" and "already loaded" in again.message


def test_a_source_missing_tables_is_refused_naming_them(source):
    source.fill(LAST)
    source.execute("drop table ssd_missing; drop table hr_workers")
    with pytest.raises(SourceRefused) as refused:
        extract_source(LA, LAST, source.settings)
    assert refused.value.reason == "missing_tables"
    assert "ssd_missing" in str(refused.value)
    assert "hr_workers" not in str(refused.value)  # optional: an LA without HR views still extracts
    assert visible(landing(source)) == []


def test_a_source_without_the_optional_hr_views_extracts_and_loads(source):
    source.fill(LAST)
    source.execute("drop table hr_workers; drop table hr_establishment")
    result = extract_source(LA, LAST, source.settings)
    assert result.status == "extracted"
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert {f["table"] for f in manifest["files"]} == {t.name for t in load_contract() if t.source == "ssd"}
    loaded = load_extract(result.folder, source.settings)
    assert loaded.status == "loaded" and loaded.rows.get("hr_workers", 0) == 0


def test_a_table_emptied_since_the_previous_extract_is_retried_then_refused(source):
    settings = source.settings
    source.fill(FIRST)
    loaded = load_extract(extract_source(LA, FIRST, settings).folder, settings)
    publish_for_test(settings, loaded.batch_id)
    source.fill(LAST)
    source.execute("truncate ssd_person")  # as a rebuild does, seen by the snapshot (TRUNCATE is not MVCC-safe)
    source.write_las(attempts=2)
    with pytest.raises(SourceRefused) as refused:
        extract_source(LA, LAST, settings)
    assert refused.value.reason == "empty_table" and "ssd_person" in str(refused.value)
    assert "after 2 attempt(s)" in str(refused.value)
    assert visible(landing(source)) == [], "nothing landed for the night"
    with connect(settings, role=LOADER) as conn:
        status = conn.execute("select status, detail->>'reason' from ops.source_extracts "
                              "where extract_date = %s", (LAST,)).fetchall()
    assert status == [("refused", "empty_table")]


def test_the_readiness_query_holds_the_extract_until_the_rebuild_has_finished(source):
    source.fill(LAST)
    source.execute("create table ssd_build_log (finished boolean not null); insert into ssd_build_log values (false)")
    source.write_las(ready_query="select bool_and(finished) from ssd_build_log", ready_wait="PT0.3S",
                     ready_poll="PT0.1S")
    with pytest.raises(SourceTransient) as waiting:
        extract_source(LA, LAST, source.settings)
    assert waiting.value.reason == "not_ready"
    assert visible(landing(source)) == []
    source.execute("update ssd_build_log set finished = true")
    assert extract_source(LA, LAST, source.settings).status == "extracted"


def test_the_source_url_on_the_command_line_is_used_and_never_printed_with_its_password(source, tmp_path):
    source.fill(LAST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_", "AIRFLOW_CONN"))}
    env.update(CSC_HOME=str(source.settings.home), CSC_LAS_CONFIG=str(source.settings.las_config),
               CSC_WAREHOUSE_URL=source.settings.warehouse_url.get_secret_value())
    t = source.target
    url = f"postgresql://{t.user}:s3cret-pw@/{t.dbname}?host={t.host}&port={t.port}"
    done = subprocess.run([sys.executable, "-m", "csc.cli", "extract", "--la", LA, "--as-of", LAST.isoformat(),
                           "--source", url], env=env, capture_output=True, text=True, timeout=300)
    # A password the server does not ask for (trust) or refuses: either way it is never printed.
    assert "s3cret-pw" not in done.stdout + done.stderr
    if done.returncode == 0:
        assert visible(landing(source)) == [LAST.isoformat()]
    else:
        assert done.returncode == 75, done.stderr


def test_killing_the_extract_midway_leaves_no_partial_extract_and_the_next_run_succeeds(source):
    settings = source.settings
    source.fill(LAST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
    env.update(CSC_HOME=str(settings.home), CSC_LAS_CONFIG=str(settings.las_config),
               CSC_WAREHOUSE_URL=settings.warehouse_url.get_secret_value())
    partial_root = landing(source) / ".extracting"
    # A session of the source holds a lock on a table in the middle of the contract: the extract writes the tables
    # before it, then waits on that one. It is killed there, for real (SIGKILL: no clean-up of its own).
    with psycopg.connect(source.conninfo) as holder:
        holder.execute("lock table ssd_cla_episodes in access exclusive mode")
        process = subprocess.Popen([sys.executable, "-m", "csc.cli", "extract", "--la", LA, "--as-of",
                                    LAST.isoformat()], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 120
            written: list[Path] = []
            while time.monotonic() < deadline and process.poll() is None:
                written = list(partial_root.glob("*/ssd_cla_placement.csv")) + list(
                    partial_root.glob("*/ssd_cp_reviews.csv"))
                if written and _waiting_on_lock(source):
                    break
                time.sleep(0.05)
            assert process.poll() is None, process.communicate()
            assert written, "the extract wrote the tables before the locked one"
            os.kill(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
            assert process.returncode == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=30)
            holder.rollback()
    assert visible(landing(source)) == [], "no extract in landing after the kill"
    assert not (landing(source) / LAST.isoformat()).exists()

    result = extract_source(LA, LAST, settings)
    assert result.status == "extracted"
    assert visible(landing(source)) == [LAST.isoformat()]
    assert [p.name for p in partial_root.iterdir()] == ["lock"], "the killed extract's folder was cleared"
    assert load_extract(result.folder, settings).status == "loaded"
    with connect(settings, role=LOADER) as conn:
        runs = conn.execute("select status from ops.source_extracts order by extract_id").fetchall()
    assert runs == [("interrupted",), ("complete",)]


def _waiting_on_lock(source) -> bool:
    with psycopg.connect(source.conninfo, autocommit=True) as conn:
        return bool(conn.execute("select count(*) from pg_stat_activity where application_name = 'csc extract' "
                                 "and wait_event_type = 'Lock'").fetchone()[0])


def test_a_catch_up_night_is_not_extracted_from_the_current_state(source):
    from csc.pipeline import extract_step, start_run

    source.fill(LAST)
    run = start_run(LA, FIRST, settings=source.settings)  # a night whose deadline passed long ago
    with pytest.raises(SourceRefused) as refused:
        extract_step(run, source.settings)
    assert refused.value.reason == "too_late" and "current state" in str(refused.value)
    assert visible(landing(source)) == []
