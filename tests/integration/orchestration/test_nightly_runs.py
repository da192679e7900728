"""The nightly DAG for real (``dag.test()`` runs through ``csc backfill``) on generated tiny extracts of one LA.

One warehouse for the module, built up night by night, in this order:

1. three generated nights (2026-06-29 to 2026-07-01) run in date order, the first night's dbt build losing its
   connection once after dbt ran (the test hook) and succeeding on retry;
2. ``csc backfill`` over the same nights again: nothing to do;
3. yesterday's extract, with a blocking data-quality fault, after the LA's deadline: the run is blocked, publishes
   nothing, and the engineers get the failure and lateness e-mails (real SMTP on loopback);
4. today's extract never arrives: the late-extract e-mail, and the backfill stops there;
5. re-running a finished and a failed night: no new rows, no second alert.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from orch_helpers import ENGINEERS, LA, PERFORMANCE, local_today, marts_fingerprint

pytestmark = [pytest.mark.integration, pytest.mark.dags, pytest.mark.slow]

FIRST, LAST = date(2026, 6, 29), date(2026, 7, 1)
NIGHTS = [FIRST + timedelta(days=k) for k in range(3)]


def raw_rows(orch) -> dict[int, int]:
    """Rows in raw per batch (every raw table), against which a duplicated load would show."""
    tables = [r[0] for r in orch.query("select table_name from information_schema.tables where table_schema = 'raw'")]
    counts: dict[int, int] = {}
    for table in tables:
        for batch, count in orch.query(f'select _batch_id, count(*) from raw."{table}" group by 1'):
            counts[batch] = counts.get(batch, 0) + count
    return counts


def alert_keys(orch) -> list[str]:
    return [r[0] for r in orch.query("select alert_key from ops.alerts order by alert_key")]


@pytest.fixture(scope="module")
def sequence(orchestration):
    orch = orchestration
    # Deadline at midnight: yesterday's night (step 3) is late whenever the test runs; June's nights are catch-up.
    orch.write_las(deadline="00:00:00", extract_wait="PT6S")
    for extract in orch.generate(LAST, nights=3):
        orch.land(extract)
    marker = orch.settings.home / "build-connection-lost-once"
    started = datetime.now(UTC)
    done = orch.csc("backfill", "--la", LA, "--from", FIRST.isoformat(), "--to", LAST.isoformat(),
                    extra_env={"CSC_INJECT_TRANSIENT_FAILURE": f"build:{marker}"})
    return SimpleNamespace(orch=orch, backfill=done, marker=marker, wall=(started, datetime.now(UTC)))


def test_dag_test_runs_three_generated_nights_in_date_order(sequence):
    orch, done = sequence.orch, sequence.backfill
    assert done.returncode == 0, done.stdout + done.stderr
    started = [line for line in done.stdout.splitlines() if re.match(r"\[\d/3\] \S+: running", line)]
    assert [line.split()[1].rstrip(":") for line in started] == [d.isoformat() for d in NIGHTS]
    assert "3 night(s) run" in done.stdout
    dates = [r[0] for r in orch.query("select distinct extract_date from marts.indicator_daily order by 1")]
    assert dates == NIGHTS
    batches = orch.query("select extract_date, status from ops.extract_batches order by published_at")
    assert batches == [(NIGHTS[0], "superseded"), (NIGHTS[1], "superseded"), (NIGHTS[2], "published")]
    runs = orch.query("select detail->>'extract_date', status from ops.pipeline_runs order by run_id")
    assert runs == [(d.isoformat(), "success") for d in NIGHTS]
    # The published marts asset triggers the quarterly return: Jan-Mar 2026 at the first night, Apr-Jun at 30 June.
    returns = orch.settings.outputs_dir / "returns" / LA
    assert sorted(p.name for p in returns.iterdir()) == ["2025Q4", "2026Q1"]
    assert (returns / "2026Q1" / "quarterly_return.xlsx").is_file()
    assert f"{NIGHTS[2]}: quarterly return: none due (skipped)" in done.stdout


def test_backfill_runs_show_their_real_start_and_duration(sequence):
    """dag.test() starts a run "at" its logical date (the UI showed "66d"): the product records the real start."""
    orch, (wall_start, wall_end) = sequence.orch, sequence.wall
    runs = orch.airflow_query(
        "select dag_id, logical_date, start_date, end_date from dag_run where dag_id in (%s, %s) "
        "and logical_date < %s order by logical_date",
        (f"csc_nightly_{LA}", f"csc_quarterly_return_{LA}", LAST + timedelta(days=3)))
    assert [r[0] for r in runs] == [f"csc_{kind}_{LA}" for _ in NIGHTS for kind in ("nightly", "quarterly_return")]
    for dag_id, logical, start, end in runs:
        assert wall_start <= start <= end <= wall_end, (dag_id, logical, start, end)
        assert start != logical
    # One after the other: each run's duration is its own, and together they fit in the backfill's wall time.
    assert all(runs[k][3] <= runs[k + 1][2] for k in range(len(runs) - 1))
    assert sum(((end - start) for *_, start, end in runs), timedelta()) <= wall_end - wall_start


def test_transient_dbt_failure_is_retried_without_duplicating_data(sequence):
    orch = sequence.orch
    assert sequence.marker.exists(), "the test hook never injected the connection failure"
    tries = dict(orch.airflow_query(
        "select r.conf->>'extract_date', ti.try_number from task_instance ti join dag_run r "
        "on r.dag_id = ti.dag_id and r.run_id = ti.run_id where ti.dag_id = %s and ti.task_id = 'build'",
        (f"csc_nightly_{LA}",)))
    assert tries == {NIGHTS[0].isoformat(): 2, NIGHTS[1].isoformat(): 1, NIGHTS[2].isoformat(): 1}
    builds = orch.query("select status, message from ops.dbt_builds order by build_id")
    assert [b[0] for b in builds] == ["failed", "success", "success", "success"]
    assert "interrupted" in builds[0][1]
    # No duplicate: every batch raw keeps has exactly the rows its files declared, and the marts keys are unique.
    declared = dict(orch.query("select batch_id, sum(rows_loaded) from ops.file_loads group by 1"))
    published = orch.query("select batch_id from ops.extract_batches where status = 'published'")[0][0]
    kept = raw_rows(orch)
    assert published in kept
    assert kept == {batch: int(declared[batch]) for batch in kept}
    total, distinct = orch.query("select count(*), count(distinct (la_code, extract_date, indicator_id)) "
                                 "from marts.indicator_daily")[0]
    assert total == distinct > 0


def test_backfill_skips_nights_already_done(sequence):
    orch = sequence.orch
    before = marts_fingerprint(orch)
    again = orch.csc("backfill", "--la", LA, "--from", FIRST.isoformat(), "--to", LAST.isoformat())
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("skipped: already done") == 3
    assert "0 night(s) run, 3 already done" in again.stdout
    assert marts_fingerprint(orch) == before
    assert len(orch.query("select 1 from ops.pipeline_runs")) == 3


@pytest.fixture(scope="module")
def blocked(sequence):
    """Yesterday's extract with future dates (a blocking rule), processed after the LA's deadline."""
    orch = sequence.orch
    night = local_today() - timedelta(days=1)
    faults = orch.generated / "blocking-faults.yml"
    faults.write_text("rates:\n  future_date: 0.003\n")
    orch.land(orch.generate(night, faults=str(faults))[0])
    before = marts_fingerprint(orch)
    rows_before = raw_rows(orch)
    done = orch.csc("backfill", "--la", LA, "--from", night.isoformat(), "--to", night.isoformat())
    return SimpleNamespace(orch=orch, night=night, done=done, before=before, rows_before=rows_before)


def test_blocked_night_publishes_nothing_and_leaves_the_marts_unchanged(blocked):
    orch, done = blocked.orch, blocked.done
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stdout and f"Stopped at {blocked.night}" in done.stdout
    assert "DataQualityBlocked" in done.stdout and "STR_DATE_NOT_FUTURE" in done.stdout
    assert marts_fingerprint(orch) == blocked.before
    assert orch.query("select status from ops.extract_batches where extract_date = %s", (blocked.night,)) == \
        [("blocked",)]
    assert orch.query("select extract_date from ops.extract_batches where status = 'published'") == [(LAST,)]
    run = orch.query("select status, detail->>'failed_task' from ops.pipeline_runs "
                     "where detail->>'extract_date' = %s", (blocked.night.isoformat(),))
    assert run == [("blocked", "check")]


def test_failure_and_lateness_emails_reach_the_engineers_over_smtp(blocked):
    orch = blocked.orch
    failure = orch.emails("blocked by data quality at check")
    assert len(failure) == 1
    assert failure[0].recipients == [ENGINEERS]
    assert "X-CSC-Alert-Key" in failure[0].message and failure[0].message["X-CSC-Alert-Key"].startswith(
        f"failure:csc_nightly_{LA}:")
    late = orch.emails("[CSC] Late:")
    assert len(late) == 1 and late[0].recipients == [ENGINEERS]
    assert f"for {blocked.night} not finished by 00:00" in late[0].subject
    dq = [m for m in orch.sink.messages if m.recipients == [PERFORMANCE]]
    assert dq, "the data-quality alert of the blocked batch did not go to the performance lead"


def test_missing_extract_alerts_once_and_stops_the_backfill(blocked):
    orch = blocked.orch
    today = local_today()
    done = orch.csc("backfill", "--la", LA, "--from", today.isoformat(), "--to", today.isoformat())
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Stopped at {today}" in done.stdout and "gave up waiting" in done.stdout
    missing = orch.emails("[CSC] No extract:")
    assert len(missing) == 1 and missing[0].recipients == [ENGINEERS]
    assert missing[0].message["X-CSC-Alert-Key"].startswith(f"late-extract:csc_nightly_{LA}:")
    # The late-extract e-mail is the failure alert of that run: no second e-mail about it.
    assert not [m for m in orch.emails("failed at wait_for_extract")]
    assert orch.query("select status, detail->>'failed_task' from ops.pipeline_runs "
                      "where detail->>'extract_date' = %s", (today.isoformat(),)) == [("failed", "wait_for_extract")]


def test_rerunning_finished_and_failed_nights_adds_no_row_and_no_alert(blocked):
    orch = blocked.orch
    fingerprint, rows, keys, emails = (marts_fingerprint(orch), raw_rows(orch), alert_keys(orch),
                                       len(orch.sink.messages))
    finished = orch.csc("backfill", "--la", LA, "--from", LAST.isoformat(), "--to", LAST.isoformat(), "--rerun")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    steps = orch.query("select s.step, s.status from ops.pipeline_steps s join ops.pipeline_runs r using (run_id) "
                       "where r.detail->>'extract_date' = %s order by s.started_at", (LAST.isoformat(),))
    assert steps == [("load", "skipped"), ("check", "skipped"), ("build", "skipped"), ("publish", "skipped"),
                     ("purge", "success"), ("readiness", "skipped")]  # retention runs every night (nothing here is
    # old enough to delete); return readiness is switched off (orch_helpers.write_las)
    failed = orch.csc("backfill", "--la", LA, "--from", blocked.night.isoformat(), "--to",
                      blocked.night.isoformat())
    assert failed.returncode == 1 and f"Stopped at {blocked.night}" in failed.stdout
    assert marts_fingerprint(orch) == fingerprint
    assert raw_rows(orch) == rows
    assert alert_keys(orch) == keys
    assert len(orch.sink.messages) == emails, [m.subject for m in orch.sink.messages[emails:]]
    assert len(orch.query("select 1 from ops.pipeline_runs")) == 5  # a re-run is the same run, not a new one


def test_a_catch_up_night_without_extract_fails_at_once(orchestration, monkeypatch):
    """Catch-up of an old night (deadline over a day ago) whose extract is missing: no waiting, one alert."""
    from csc.orchestration.failures import RunFailed
    from csc.orchestration.sensors import ExtractArrivedSensor

    orch = orchestration
    for name, value in orch.env.items():
        if name.startswith(("CSC_", "AIRFLOW_CONN_")):
            monkeypatch.setenv(name, value)
    old_night = date(2026, 3, 2)
    sensor = ExtractArrivedSensor(task_id="wait_for_extract", run={"run_id": 0, "la_code": LA,
                                                                    "extract_date": old_night.isoformat()})
    context = {"dag": SimpleNamespace(dag_id=f"csc_nightly_{LA}"), "run_id": "backfill__2026-03-03"}
    with pytest.raises(RunFailed) as failed:
        sensor.execute(context)
    assert failed.value.alerted and "does not wait" in str(failed.value)
    missing = [m for m in orch.emails("[CSC] No extract:") if str(old_night) in m.subject]
    assert len(missing) == 1 and "catch-up run" in missing[0].body()
