"""Retention of the statutory returns (``csc purge``, csc.retention): the files under outputs/statutory (they carry
the LA's child ids) and the DfE validators' issues in ``ops.statutory_issues`` follow the LA's ``dq_reports``
retention, like the data-quality records; the runs and their counts stay, and what the next night compares with and
what the report shows are kept whatever their age."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from csc.retention import OPS_STATUTORY_STORE, STATUTORY_STORE, purge
from csc.warehouse.connection import connect

pytestmark = [pytest.mark.integration]

SHORT, LONG = "901", "902"
LAS_YML = f"""
las:
  - code: "{SHORT}"
    name: Shortshire
    retention: {{dq_reports: 10}}
  - code: "{LONG}"
    name: Longshire
    retention: {{dq_reports: 60}}
"""
NOW = time.time()


def put_folder(folder: Path, age_days: float) -> Path:
    (folder / "files").mkdir(parents=True, exist_ok=True)
    (folder / "files" / "episodes.csv").write_text("CHILD\nC1\n")
    when = NOW - age_days * 86400
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (when, when))
        os.utime(dirpath, (when, when))
    return folder


def add_run(conn, la: str, kind: str, year: str, age_days: float, issues: int) -> int:
    ended = datetime.fromtimestamp(NOW, UTC) - timedelta(days=age_days)
    run_id = conn.execute(
        "insert into ops.statutory_validation_runs (la_code, return_kind, collection_year, ruleset, validator, "
        "validator_version, files_folder, started_at, finished_at, errors, blocking_rules) "
        "values (%s, %s, %s, 'r', 'v', '1', '/x', %s, %s, %s, 1) returning validation_run_id",
        (la, kind, year, ended, ended, issues)).fetchone()[0]
    conn.execute("insert into ops.statutory_rule_results (validation_run_id, rule_code, severity, status, issues) "
                 "values (%s, '101', 'error', 'failed', %s)", (run_id, issues))
    for n in range(issues):
        conn.execute("insert into ops.statutory_issues (validation_run_id, rule_code, child_id, table_name, field) "
                     "values (%s, '101', %s, 'Episodes', 'DECOM')", (run_id, f"C{n}"))
    return run_id


@pytest.fixture
def statutory(warehouse_settings, tmp_path):
    las = tmp_path / "las.yml"
    las.write_text(LAS_YML)
    settings = warehouse_settings.model_copy(update={"las_config": las})
    root = settings.outputs_dir / "statutory"
    files = {
        "short_old_903": put_folder(root / SHORT / "903-2025-26-20260101T010000Z", 20),
        "short_young_cin": put_folder(root / SHORT / "cin-2025-26-20260301T010000Z", 5),
        "short_old_readiness": put_folder(root / SHORT / "readiness-2026-27-20260101T020000Z", 30),
        "short_latest_readiness": put_folder(root / SHORT / "readiness-2026-27-20260102T020000Z", 25),
        "long_old_annex": put_folder(root / LONG / "annex-a-2026-01-01-20260101T010000Z", 20),
    }
    with connect(settings) as conn:
        runs = {}  # inserted in this order: the later id of a return and year is its latest run
        runs["short_old"] = add_run(conn, SHORT, "903", "2025-26", 40, 3)  # old, not the latest: cleared
        runs["short_latest"] = add_run(conn, SHORT, "903", "2025-26", 30, 2)  # old but the latest 903 2025-26
        runs["short_cin_oldest"] = add_run(conn, SHORT, "cin", "2026-27", 60, 5)  # old, an earlier night's: cleared
        runs["short_readiness"] = add_run(conn, SHORT, "cin", "2026-27", 50, 2)  # old, in the latest readiness
        runs["short_cin_latest"] = add_run(conn, SHORT, "cin", "2026-27", 45, 4)  # old but the latest cin 2026-27
        runs["short_young"] = add_run(conn, SHORT, "903", "2024-25", 5, 1)  # young: kept
        runs["long_older"] = add_run(conn, LONG, "903", "2025-26", 70, 2)  # older than LONG's 60 days: cleared
        runs["long_old"] = add_run(conn, LONG, "903", "2025-26", 40, 2)  # younger than 60 days: kept
        for night, run in ((date(2026, 1, 1), "short_cin_oldest"), (date(2026, 1, 2), "short_readiness")):
            conn.execute("insert into ops.statutory_readiness (la_code, extract_date, collection_year, status, "
                         "validation_run_ids) values (%s, %s, '2026-27', 'done', %s)", (SHORT, night, [runs[run]]))
        conn.commit()
    return settings, files, runs


def _issues(settings) -> dict[int, int]:
    with connect(settings) as conn:
        return dict(conn.execute("select v.validation_run_id, count(i.*) from ops.statutory_validation_runs v "
                                 "left join ops.statutory_issues i using (validation_run_id) group by 1").fetchall())


def test_purge_deletes_old_statutory_files_and_validator_issues_and_keeps_what_is_shown(statutory):
    settings, files, runs = statutory
    before = _issues(settings)
    dry = purge(settings, dry_run=True, nights={})
    assert all(p.exists() for p in files.values()) and _issues(settings) == before, "a dry run deletes nothing"
    assert dry.summaries[(OPS_STATUTORY_STORE, SHORT)].rows == 3 + 5

    report = purge(settings, nights={})
    gone = {files["short_old_903"], files["short_old_readiness"]}
    assert set(report.summaries[(STATUTORY_STORE, SHORT)].paths) == gone
    for name, path in files.items():
        assert path.exists() == (path not in gone), name
    assert report.summaries[(STATUTORY_STORE, SHORT)].protected == 1, "the latest night's readiness files"
    assert report.summaries[(STATUTORY_STORE, LONG)].kept == 1, "LONG keeps 60 days"

    after = _issues(settings)
    cleared = {runs["short_old"], runs["short_cin_oldest"], runs["long_older"]}
    assert {run for run, n in after.items() if n == 0} == cleared
    assert all(after[run] == before[run] for run in set(runs.values()) - cleared)
    assert report.summaries[(OPS_STATUTORY_STORE, SHORT)].rows == 8
    assert report.summaries[(OPS_STATUTORY_STORE, LONG)].rows == 2
    with connect(settings) as conn:  # the runs and their counts stay: history and trends keep working
        assert conn.execute("select count(*) from ops.statutory_validation_runs").fetchone()[0] == len(runs)
        assert conn.execute("select sum(issues) from ops.statutory_rule_results").fetchone()[0] == 21
    assert "ops_statutory" in report.table() and "8 rows" in report.table()
    # a second purge finds nothing more
    again = purge(settings, nights={})
    assert not again.summaries[(OPS_STATUTORY_STORE, SHORT)].rows and not again.deleted


def test_purge_of_one_la_leaves_the_others_statutory_records(statutory):
    settings, files, runs = statutory
    purge(settings, la_codes=[LONG], nights={})
    after = _issues(settings)
    assert after[runs["long_older"]] == 0
    assert after[runs["short_old"]] == 3 and files["short_old_903"].exists()
