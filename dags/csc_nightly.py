"""Nightly pipeline of each LA in config/las.yml: wait for the extract, load it, check it, build the marts with dbt,
publish them atomically and record the run.

One DAG per LA (``csc_nightly_<code>``). The run triggered on the morning of day D+1 processes the extract dated D
(or the ``extract_date`` given when triggering). Runs of one LA go one at a time, in date order; with catch-up, the
nights since the LA's ``start_date`` are processed oldest first (``csc backfill`` does the same from the command line).

* ``wait_for_extract`` defers to the triggerer until ``<landing>/<la>/<date>/manifest.json`` is there; after the LA's
  ``extract_wait`` it alerts the LA's data engineers (``late-extract:<dag>:<run>``) and fails.
* An LA with a ``source:`` database in las.yml has an ``extract`` task instead: ``csc extract`` reads the SSD from
  its reporting database in one snapshot into landing; lost connections, deadlocks, timeouts and a rebuild that
  interferes are retried with backoff, like every transient failure.
* ``build`` is one astronomer-cosmos task running the whole ``dbt build`` into shadow schemas; per-model status and
  timings are in its log (from ``ops.dbt_model_runs``). ``publish`` swaps them in and updates the LA's marts asset,
  on which the LA's quarterly-return DAG is scheduled.
* Only transient failures (lost connections) are retried, with exponential backoff. A refused extract, a blocking
  data-quality rule or a failing dbt test fails the task at once; the failure callback records the run as failed or
  blocked in ``ops`` and e-mails the LA's failure recipients once per run (``failure:<dag>:<run>``).
* A run not finished by the LA's deadline raises one lateness alert (``late-run:<dag>:<run>``).
* ``purge``, before the run is finished, deletes what the LA's local stores keep past its retention (``retention:`` in
  config/las.yml; never this night's files nor the last published extract's).
* ``readiness``, after publication, builds the current collection year's SSDA903 and CIN files and runs the DfE
  validators on them (csc.statutory.readiness): errors by rule, new and resolved since the last night, children to
  fix per team, in the DQ report and the performance leads' e-mail. Neither validator errors nor a crash fail the
  published night: a crash is recorded and reported "not run" with its reason. ``statutory_readiness: false`` in
  config/las.yml (or CSC_STATUTORY_READINESS=false) switches it off.
* Every task is safe to re-run: each step finds its work already done and says so.

Nothing here touches a database, the network or an extract at import time.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from csc.las import LocalAuthority, la_registry
from csc.orchestration.assets import marts_asset
from csc.orchestration.dbt_build import CscDbtBuildOperator
from csc.orchestration.defaults import default_task_args
from csc.orchestration.sensors import ExtractArrivedSensor
from csc.privacy import private_umask
from csc.settings import get_settings

private_umask()  # task processes write owner-only files, whoever started the scheduler


def _extract_date(la: LocalAuthority) -> str:
    """The night being processed: the ``extract_date`` param, else the day before the run's local date."""
    context = get_current_context()
    chosen = context["params"].get("extract_date")
    if chosen:
        return chosen
    when = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(when).in_timezone(la.timezone).subtract(days=1).date().isoformat()


def nightly_dag(la: LocalAuthority, settings):
    @dag(
        dag_id=f"csc_nightly_{la.code}",
        description=f"Nightly extract of {la.name}: load, check, build, publish",
        schedule=CronTriggerTimetable(la.schedule, timezone=la.timezone),
        start_date=pendulum.datetime(la.start_date.year, la.start_date.month, la.start_date.day,
                                     tz=la.timezone).add(days=1),
        catchup=True,
        max_active_runs=1,
        tags=["csc", "nightly", f"la:{la.code}"],
        params={"extract_date": Param(None, type=["null", "string"], format="date",
                                      description="Extract date to process (YYYY-MM-DD); default: the previous day")},
        default_args=default_task_args(settings),
        doc_md=__doc__,
    )
    def nightly():
        @task
        def start_run() -> dict:
            from csc.orchestration.failures import retry_only_transient
            from csc.orchestration.lateness import alert_if_late
            from csc.pipeline import start_run
            from csc.warehouse.connection import ensure_warehouse_running

            ctx = get_current_context()
            night = pendulum.parse(_extract_date(la)).date()
            with retry_only_transient():
                ensure_warehouse_running()  # the run's one explicit start; later steps only connect
                run = start_run(la.code, night, dag_id=ctx["dag"].dag_id, airflow_run_id=ctx["run_id"])
                alert_if_late(la.code, night, ctx["dag"].dag_id, ctx["run_id"], where="starting")
            return run.to_xcom()

        @task
        def load(run: dict, _folder: str) -> dict:
            from csc.orchestration.steps import run_step
            from csc.pipeline import load_step

            return run_step("load", run, load_step, get_current_context())

        @task
        def check(run: dict, loaded: dict) -> dict:
            from csc.orchestration.steps import run_step
            from csc.pipeline import check_step

            return run_step("check", run, lambda ref: check_step(ref, loaded["batch_id"]), get_current_context())

        @task(outlets=[marts_asset(la.code)])
        def publish(run: dict, built: dict) -> dict:
            from csc.orchestration.steps import run_step
            from csc.pipeline import publish_step

            return run_step("publish", run, lambda ref: publish_step(ref, built["batch_id"]), get_current_context())

        @task
        def finish(run: dict, published: dict) -> None:
            from csc.orchestration.steps import run_step
            from csc.pipeline import finish_run

            run_step("finish", run, lambda ref: finish_run(ref, "success", batch_id=published["batch_id"]),
                     get_current_context())

        @task
        def purge(run: dict, published: dict) -> dict:
            from csc.orchestration.steps import run_step
            from csc.pipeline import purge_step

            run_step("purge", run, purge_step, get_current_context())
            return published

        @task
        def extract(run: dict) -> str:
            from csc.orchestration.steps import run_step
            from csc.pipeline import extract_step

            return run_step("extract", run, extract_step, get_current_context())["folder"]

        @task
        def readiness(run: dict, published: dict) -> dict:
            from csc.orchestration.steps import run_step
            from csc.pipeline import readiness_step

            run_step("readiness", run, lambda ref: readiness_step(ref, published["batch_id"]), get_current_context())
            return published

        run = start_run()
        if la.source is not None:
            folder = extract(run)
        else:
            folder = ExtractArrivedSensor(task_id="wait_for_extract", run=run).output
        checked = check(run, load(run, folder))
        built = CscDbtBuildOperator(task_id="build", run=run, checked=checked)
        # purge: retention (csc.retention); readiness: the DfE validators on the year's returns (csc.statutory)
        finish(run, readiness(run, purge(run, publish(run, built.output))))

    return nightly()


_settings = get_settings()
for _la in la_registry(_settings):
    globals()[f"csc_nightly_{_la.code}"] = nightly_dag(_la, _settings)
