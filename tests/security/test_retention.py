"""Issue 15, item 10: retention purges what it should, and nothing else.

Two LAs with different retention (``retention:`` in their las.yml) and files of every store with chosen ages (their
modification times): ``csc.retention.purge`` (what the nightly ``purge`` step and ``csc purge`` run) deletes exactly
the expected ones, never the current night's or the last published extract's files nor an LA's latest return, and
clears the source ids of old data-quality runs from ``ops`` (their counts stay). A dry run deletes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from csc.retention import OPS_STORE, purge, retention_days
from csc.warehouse.connection import connect

pytestmark = [pytest.mark.integration, pytest.mark.security]

SHORT, LONG = "901", "902"
LAS_YML = f"""
las:
  - code: "{SHORT}"
    name: Shortshire
    retention: {{archive: 10, quarantine: 5, dq_reports: 10, returns: 100, outbox: 3, logs: 7}}
  - code: "{LONG}"
    name: Longshire
    retention: {{archive: 40, quarantine: 60, dq_reports: 60, returns: 1000, outbox: 30, logs: 60}}
"""
PUBLISHED = date(2026, 1, 5)  # SHORT's last published extract
CURRENT = date(2026, 3, 1)  # SHORT's current night (its latest extract)
NOW = time.time()


def put(path: Path, age_days: float, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    when = NOW - age_days * 86400
    os.utime(path, (when, when))
    return path


def age_folders(root: Path, age_days: float) -> None:
    """Folders older than their files (a folder's own time changes when a file is added to it)."""
    when = NOW - age_days * 86400
    for dirpath, _dirnames, _filenames in os.walk(root):
        os.utime(dirpath, (when, when))


@pytest.fixture
def stores(warehouse_settings, tmp_path):
    """Every store with files of both LAs and of the install; returns (settings, files expected to be deleted)."""
    las = tmp_path / "las.yml"
    las.write_text(LAS_YML)
    settings = warehouse_settings.model_copy(update={"las_config": las})
    s = settings
    gone: set[Path] = set()
    for la in (SHORT, LONG):
        short = la == SHORT
        old = [
            put(s.archive_dir / la / "2026-01-01" / "batch-1.zip", 20),
            put(s.quarantine_dir / la / "2026-01-02--20260103T020000Z" / "extract" / "children.csv", 20),
            put(s.outputs_dir / "dq" / la / "2026-01-01" / "report.html", 20),
            put(s.outbox_dir / f"dq_{la}_1.eml", 20),
            put(s.outbox_dir / f"failure_csc_nightly_{la}_manual__2026-01-02T03_00_00_00_00.eml", 20),
            put(s.logs_dir / "airflow" / f"dag_id=csc_nightly_{la}" / "run_id=manual__2026-01-02" / "task_id=load"
                / "attempt=1.log", 20),
            put(s.logs_dir / f"backfill-{la}-2026-01-01-2026-01-02.log", 20),
            put(s.outputs_dir / "returns" / la / "2025Q1" / "return.xlsx", 200),
        ]
        put(s.archive_dir / la / "2026-02-20" / "batch-7.zip", 5)  # young: kept by both
        put(s.outputs_dir / "returns" / la / "2025Q2" / "return.xlsx", 2000)  # the latest return: never deleted
        put(s.outputs_dir / "returns" / la / "2024Q4" / "return.xlsx", 50)  # younger than both LAs' 100 and 1000
        if short:
            gone |= set(old)
    # SHORT's protected nights, however old their files: the last published and the current night.
    for folder in (s.archive_dir / SHORT / PUBLISHED.isoformat(), s.archive_dir / SHORT / CURRENT.isoformat(),
                   s.outputs_dir / "dq" / SHORT / PUBLISHED.isoformat(),
                   s.quarantine_dir / SHORT / f"{CURRENT.isoformat()}.zip--20260302T020000Z"):
        put(folder / "kept.bin", 400)
    # The install's own files (no LA): its defaults (quarantine 30, outbox 30, logs 90 days).
    gone |= {put(s.logs_dir / "airflow" / "scheduler" / "2026-01-01" / "scheduler.log", 100),
             put(s.outbox_dir / "some_other_alert.eml", 40),
             put(s.quarantine_dir / "unknown" / "stray.zip--20260101T000000Z" / "stray.zip", 40)}
    put(s.logs_dir / "make-run-dags-test-2026-09-30.log", 50)
    put(s.home / "dbt" / "logs" / "dbt.log", 1)
    put(s.secrets_dir / "pseudonym_key", 1000)  # not a store: never touched
    put(s.landing_dir / SHORT / "2025-01-01" / "children.csv", 1000)  # landing: the loader's, not retention's
    age_folders(s.home, 3000)  # a unit's age is then that of its newest file
    _ops_rows(settings)
    return settings, gone


def _ops_rows(settings) -> None:
    """Batches of SHORT (an old superseded one, the published one, the current night) and an old one of LONG, each
    with a data-quality run that flagged records."""
    twenty_days_ago = datetime.now(UTC) - timedelta(days=20)
    with connect(settings) as conn:
        for la, night, status in ((SHORT, date(2026, 1, 1), "superseded"), (SHORT, PUBLISHED, "published"),
                                  (SHORT, CURRENT, "loaded"), (LONG, date(2026, 1, 1), "published")):
            batch = conn.execute(
                "insert into ops.extract_batches (la_code, extract_date, extracted_at, content_sha256, landing_path, "
                "status, published_at) values (%s, %s, %s, 'x', 'x', %s, %s) returning batch_id",
                (la, night, twenty_days_ago, status, twenty_days_ago if status == "published" else None)).fetchone()[0]
            run = conn.execute(
                "insert into ops.dq_runs (batch_id, started_at, finished_at) values (%s, %s, %s) returning dq_run_id",
                (batch, twenty_days_ago, twenty_days_ago)).fetchone()[0]
            conn.execute("insert into ops.dq_results (dq_run_id, rule_id, severity, family, rows_failing, sample_keys) "
                         "values (%s, 'R1', 'warn', 'validity', 2, '[\"C1\", \"C2\"]')", (run,))
            conn.execute("insert into ops.dq_failing_records (dq_run_id, rule_id, kind, table_name, record_key) "
                         "values (%s, 'R1', 'fault', 'children', 'C1'), (%s, 'R1', 'fault', 'children', 'C2')",
                         (run, run))


def _ops_keys(settings) -> dict[tuple[str, date], tuple[int, int, int]]:
    """Per (LA, extract date): failing records kept, sample keys kept, failing rows counted."""
    with connect(settings) as conn:
        return {(la, night): (records, keys, counted) for la, night, records, keys, counted in conn.execute(
            "select b.la_code, b.extract_date, (select count(*) from ops.dq_failing_records f "
            "where f.dq_run_id = r.dq_run_id), jsonb_array_length(q.sample_keys), q.rows_failing "
            "from ops.dq_runs r join ops.extract_batches b using (batch_id) join ops.dq_results q using (dq_run_id)")}


def every_file(home: Path) -> set[Path]:
    return {Path(d) / f for d, _, files in os.walk(home) for f in files}


def test_each_la_has_its_own_retention_and_the_install_its_defaults(stores):
    settings, _ = stores
    assert retention_days(settings, SHORT) == {"archive": 10, "quarantine": 5, "dq_reports": 10, "returns": 100,
                                               "outbox": 3, "logs": 7}
    assert retention_days(settings, None) == {"archive": 35, "quarantine": 30, "dq_reports": 90, "returns": 2557,
                                              "outbox": 30, "logs": 90}
    assert retention_days(settings, "not-configured") == retention_days(settings, None)


def test_retention_purges_what_it_should_and_nothing_else(stores):
    settings, gone = stores
    before = every_file(settings.home)
    keys_before = _ops_keys(settings)

    dry = purge(settings, dry_run=True)
    assert every_file(settings.home) == before, "a dry run deletes nothing"
    assert _ops_keys(settings) == keys_before
    assert {p for p in before if any(p == d or d in p.parents for d in dry.deleted)} == gone

    report = purge(settings)
    assert every_file(settings.home) == before - gone
    assert report.errors == []
    summary = {(s.store, s.la_code): (s.deleted, s.protected) for s in report.rows()}
    assert summary[("archive", SHORT)] == (1, 2)  # the old one; the published and current nights protected
    assert summary[("archive", LONG)] == (0, 1)  # its latest (and published) night
    assert summary[("returns", SHORT)] == (1, 1) and summary[("returns", LONG)] == (0, 1)
    assert summary[("quarantine", SHORT)] == (1, 1)
    assert summary[("logs", None)][0] == 1 and summary[("outbox", None)][0] == 1
    assert not (settings.logs_dir / "airflow" / f"dag_id=csc_nightly_{SHORT}").exists(), "emptied folders go too"

    # ops: the old run of SHORT loses its source ids (its counts stay); protected nights and LONG keep theirs.
    keys_after = _ops_keys(settings)
    assert keys_after[(SHORT, date(2026, 1, 1))] == (0, 0, 2)
    for kept in ((SHORT, PUBLISHED), (SHORT, CURRENT), (LONG, date(2026, 1, 1))):
        assert keys_after[kept] == (2, 2, 2), kept
    assert summary[(OPS_STORE, SHORT)][0] == 1

    again = purge(settings)
    assert again.deleted == [] and every_file(settings.home) == before - gone


def test_one_la_only_and_the_night_being_run(stores):
    settings, gone = stores
    before = every_file(settings.home)
    # LONG only: none of its files is old enough, and neither SHORT's nor the install's are looked at.
    assert purge(settings, la_codes=[LONG]).deleted == []
    assert every_file(settings.home) == before
    # The nightly step also protects the night it runs, whatever the warehouse says.
    report = purge(settings, la_codes=[SHORT], also_protect={SHORT: date(2026, 1, 1)})
    assert settings.archive_dir / SHORT / "2026-01-01" not in report.deleted
    assert (settings.archive_dir / SHORT / "2026-01-01" / "batch-1.zip").exists()
    assert settings.outputs_dir / "returns" / SHORT / "2025Q1" in report.deleted
    assert (settings.logs_dir / "airflow" / "scheduler" / "2026-01-01" / "scheduler.log").exists()


def test_csc_purge_dry_run_prints_a_summary_per_store_and_la(stores):
    settings, gone = stores
    before = every_file(settings.home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
    env.update(CSC_HOME=str(settings.home), CSC_LAS_CONFIG=str(settings.las_config),
               CSC_WAREHOUSE_URL=settings.warehouse_url.get_secret_value(),
               CSC_AIRFLOW_DATABASE=settings.airflow_database)
    out = subprocess.run([sys.executable, "-m", "csc.cli", "purge", "--dry-run", "--list"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["store", "LA", "keep", "days", "would", "delete", "kept", "protected", "freed"]
    assert any(line.split()[:4] == ["archive", SHORT, "10", "1"] for line in lines), out.stdout
    assert any(line.split()[:4] == ["archive", LONG, "40", "0"] for line in lines), out.stdout
    assert {Path(line.removeprefix("would delete ")) for line in lines if line.startswith("would delete /")} == {
        p for p in _units_of(gone, settings)}
    assert lines[-1] == f"would delete {len(_units_of(gone, settings))} item(s) (dry run: nothing deleted)"
    assert every_file(settings.home) == before
    unknown = subprocess.run([sys.executable, "-m", "csc.cli", "purge", "--la", "977"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert unknown.returncode == 1 and "LA '977' is not configured" in unknown.stderr


def _units_of(files: set[Path], settings) -> set[Path]:
    """The units (folders or files) the purge deletes for these files."""
    units = set()
    for path in files:
        rel = path.relative_to(settings.home).parts
        depth = {"archive": 3, "quarantine": 3, "outbox": 2}.get(rel[0])
        if rel[0] == "outputs":
            depth = 4
        elif rel[0] == "logs":
            depth = 4 if rel[1] == "airflow" and rel[2].startswith("dag_id=") else len(rel)
        units.add(settings.home.joinpath(*rel[:depth]))
    return units


def test_a_bad_retention_entry_is_named(tmp_path):
    from csc.las import load_las

    las = tmp_path / "las.yml"
    for entry, wrong in (("{logz: 5}", "logz"), ("{logs: 0}", "logs"), ("{archive: -1}", "archive")):
        las.write_text(f'las:\n  - code: "901"\n    name: X\n    retention: {entry}\n')
        with pytest.raises(ValueError, match=rf"las.yml: entry 1 of 'las' is invalid:(.|\n)*retention.{wrong}"):
            load_las(las)
