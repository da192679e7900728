"""``csc backfill``: run an LA's nightly DAG for a range of extract dates, oldest first, one at a time.

Each night is a real run of ``csc_nightly_<la>`` (``dag.test()`` in this process: the same tasks, retries, callbacks
and alerts as under the scheduler, without needing one), followed, as the published-marts asset would trigger it under
the scheduler, by a run of ``csc_quarterly_return_<la>`` (which writes a return only when a quarter has closed).
Nights already done (their batch published, or since superseded by a later night) are skipped unless ``rerun``; the
first night that fails stops the backfill, because later extracts cannot be loaded before it (an older extract than
the one loaded is refused). Airflow's own output goes to a log file; the progress lines go to the caller.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from csc.settings import Settings

Echo = Callable[[str], None]


@dataclass
class NightOutcome:
    extract_date: date
    status: str  # success | skipped | failed
    seconds: float = 0.0
    detail: str = ""


@dataclass
class BackfillResult:
    la_code: str
    nights: list[NightOutcome] = field(default_factory=list)
    log_file: Path | None = None

    @property
    def ok(self) -> bool:
        return all(n.status != "failed" for n in self.nights)


def nights_between(first: date, last: date) -> list[date]:
    if last < first:
        raise ValueError(f"--to ({last}) is before --from ({first})")
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def night_done(settings: Settings, la_code: str, extract_date: date) -> str | None:
    """Why the night needs no run (its batch is published or superseded), or None. A batch replaced before
    publication (e.g. a blocked night's) does not make the night done."""
    from csc.batches import EVER_PUBLISHED
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    with connect(settings, role=LOADER) as conn:
        row = conn.execute(
            "select batch_id, status from ops.extract_batches where la_code = %s and extract_date = %s "
            "and status = any(%s) order by batch_id desc limit 1",
            (la_code, extract_date, [s.value for s in EVER_PUBLISHED])).fetchone()
    return f"already done (batch {row[0]}, {row[1]})" if row else None


def backfill(settings: Settings, la_code: str, first: date, last: date, echo: Echo = print, *,
             rerun: bool = False) -> BackfillResult:
    from csc.orchestration import local_airflow
    from csc.orchestration.airflow_env import airflow_env
    from csc.pipeline import local_authority
    from csc.warehouse.bootstrap import init_warehouse

    la = local_authority(la_code, settings)
    nights = nights_between(first, last)
    if first < la.start_date:
        raise ValueError(f"--from {first} is before LA {la_code}'s start_date ({la.start_date}) in "
                         f"{settings.las_config}")
    result = BackfillResult(la_code)
    init_warehouse(settings)
    todo = []
    for night in nights:
        reason = None if rerun else night_done(settings, la_code, night)
        if reason:
            result.nights.append(NightOutcome(night, "skipped", detail=reason))
        else:
            todo.append(night)
    echo(f"LA {la_code} ({la.name}): {len(nights)} night(s) {first} to {last}, "
         f"{len(nights) - len(todo)} already done, {len(todo)} to run")
    for outcome in result.nights:
        echo(f"  {outcome.extract_date}  skipped: {outcome.detail}")
    if not todo:
        return result

    os.environ.update(airflow_env(settings))  # before Airflow is imported in this process
    local_airflow.migrate(settings)
    log_file = settings.logs_dir / f"backfill-{la_code}-{first}-{last}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    result.log_file = log_file
    echo(f"Airflow output: {log_file}")
    with _output_to(log_file) as say:
        dag, quarterly = _dags(settings, la_code)
        for index, night in enumerate(todo, 1):
            say(f"[{index}/{len(todo)}] {night}: running csc_nightly_{la_code} ...")
            started = time.monotonic()
            logical = datetime.combine(night + timedelta(days=1), datetime.min.time(), tzinfo=_tz(la.timezone))
            # run_after = logical date: the run id is the same every time this night runs, so a re-run is the
            # same run (its alerts, keyed on the run id, are never sent twice).
            run = _test_run(dag, logical_date=logical, run_after=logical,
                            run_conf={"extract_date": night.isoformat()})
            seconds = time.monotonic() - started
            state = str(getattr(run.state, "value", run.state))
            if state == "success":
                outcome = NightOutcome(night, "success", seconds, _steps(settings, la_code, night))
                result.nights.append(outcome)
                say(f"[{index}/{len(todo)}] {night}: success in {seconds:.1f} s ({outcome.detail})")
                returned = _test_run(quarterly, logical_date=logical + timedelta(minutes=1),
                                     run_after=logical + timedelta(minutes=1))
                state = str(getattr(returned.state, "value", returned.state))
                say(f"[{index}/{len(todo)}] {night}: quarterly return: {_return_outcome(returned)}")
                if state == "success":
                    continue
                outcome.status = "failed"
                outcome.detail = f"the quarterly-return run {returned.run_id} failed"
                say(f"Stopped at {night}: {outcome.detail}. Airflow log: {log_file}")
                break
            detail = _failure(settings, la_code, night, run)
            result.nights.append(NightOutcome(night, "failed", seconds, detail))
            rest = len(todo) - index
            say(f"[{index}/{len(todo)}] {night}: FAILED in {seconds:.1f} s: {detail}")
            say(f"Stopped at {night}" + (f"; {rest} later night(s) not run" if rest else "") +
                ". Fix the cause and run the same command again: finished nights are skipped. "
                f"Airflow log: {log_file}")
            break
    return result


def _test_run(dag, **kwargs):
    """``dag.test(**kwargs)``, then the run's real start and end written to Airflow's database: ``dag.test()`` starts
    a run "at" its logical date (csc.orchestration.run_dates)."""
    from csc.orchestration.run_dates import record_real_run_dates

    started_at = datetime.now(UTC)
    run = dag.test(**kwargs)
    record_real_run_dates(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], dag.dag_id, started_at,
                          datetime.now(UTC), run_id=run.run_id)
    return run


def _tz(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _dags(settings: Settings, la_code: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.dags_dir))
    if bag.import_errors:
        raise RuntimeError(f"the DAG files do not import: {bag.import_errors}")
    found = [bag.dags.get(f"{prefix}{la_code}") for prefix in ("csc_nightly_", "csc_quarterly_return_")]
    if None in found:
        raise KeyError(f"no DAGs for LA {la_code}: is it in {settings.las_config}?")
    return found


def _return_outcome(run) -> str:
    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
    state = states.get("write_quarterly_return", "unknown")
    return {"success": "written", "skipped": "none due (skipped)"}.get(state, state)


def _run_record(settings: Settings, la_code: str, night: date):
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    with connect(settings, role=LOADER) as conn:
        return conn.execute(
            "select run_id, status, detail from ops.pipeline_runs where la_code = %s "
            "and detail->>'extract_date' = %s order by run_id desc limit 1",
            (la_code, night.isoformat())).fetchone()


def _steps(settings: Settings, la_code: str, night: date) -> str:
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    record = _run_record(settings, la_code, night)
    if record is None:
        return "no run record"
    with connect(settings, role=LOADER) as conn:
        steps = conn.execute("select step, status, detail->>'seconds' from ops.pipeline_steps where run_id = %s "
                             "order by started_at", (record[0],)).fetchall()
    return ", ".join(f"{step} {float(sec or 0):.1f} s" + ("" if status == "success" else f" ({status})")
                     for step, status, sec in steps)


def _failure(settings: Settings, la_code: str, night: date, run) -> str:
    failed = [ti.task_id for ti in run.get_task_instances() if str(getattr(ti.state, "value", ti.state)) in
              ("failed", "upstream_failed")]
    record = _run_record(settings, la_code, night)
    if record is not None and record[2].get("error"):
        return (f"run {record[1]} at task {record[2].get('failed_task')}: {record[2]['error']}")
    return f"tasks not successful: {', '.join(failed) or 'unknown'}"


@contextmanager
def _output_to(log_file: Path) -> Iterator[Echo]:
    """Send this process's stdout and stderr (Airflow's task logs) to ``log_file``; yield a printer to the real
    stdout for progress lines."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)

        def say(message: str) -> None:
            sys.stdout.flush()
            os.write(saved_out, (message + "\n").encode())
            log.write(("csc backfill: " + message + "\n").encode())
            log.flush()

        try:
            yield say
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
