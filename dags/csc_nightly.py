"""Nightly pipeline of each LA in config/las.yml: wait for the extract, load it, check it, build the marts with dbt,
publish them atomically and record the run.

One DAG per LA (``csc_nightly_<code>``). The run triggered on the morning of day D+1 processes the extract dated D
(or the ``extract_date`` given when triggering). Every task is a two-line wrapper around ``csc.pipeline``; nothing
here touches a database, the network or an extract at import time.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from csc.las import LocalAuthority, load_las
from csc.orchestration.callbacks import record_task_failure
from csc.orchestration.sensors import ExtractArrivedSensor
from csc.settings import get_settings

OWNER = "csc-data-engineering"


def _extract_date(la: LocalAuthority) -> str:
    """The night being processed: the ``extract_date`` param, else the day before the run's local date."""
    context = get_current_context()
    chosen = context["params"].get("extract_date")
    if chosen:
        return chosen
    local = pendulum.instance(context["logical_date"]).in_timezone(la.timezone)
    return local.subtract(days=1).date().isoformat()


def nightly_dag(la: LocalAuthority):
    @dag(
        dag_id=f"csc_nightly_{la.code}",
        description=f"Nightly extract of {la.name}: load, check, build, publish",
        schedule=CronTriggerTimetable(la.schedule, timezone=la.timezone),
        start_date=pendulum.datetime(2025, 1, 1, tz=la.timezone),
        catchup=False,
        max_active_runs=1,
        tags=["csc", "nightly", f"la:{la.code}"],
        params={"extract_date": Param(None, type=["null", "string"], format="date",
                                      description="Extract date to process (YYYY-MM-DD); default: the previous day")},
        default_args={
            "owner": OWNER,
            "retries": 2,
            "retry_delay": timedelta(minutes=2),
            "retry_exponential_backoff": True,
            "on_failure_callback": record_task_failure,
        },
        doc_md=__doc__,
    )
    def nightly():
        @task
        def start_run() -> dict:
            from csc.pipeline import start_run

            ctx = get_current_context()
            run = start_run(la.code, pendulum.parse(_extract_date(la)).date(), dag_id=ctx["dag"].dag_id,
                            airflow_run_id=ctx["run_id"])
            return {"run_id": run.run_id, "la_code": run.la_code, "extract_date": run.extract_date.isoformat()}

        @task
        def load(run: dict, _folder: str) -> dict:
            from csc.pipeline import load_step

            return load_step(_run_ref(run))

        @task(retries=0)  # a data fault is not transient: no retry
        def check(run: dict, loaded: dict) -> dict:
            from csc.pipeline import check_step

            return check_step(_run_ref(run), loaded["batch_id"])

        @task
        def build(run: dict, checked: dict) -> dict:
            from csc.pipeline import build_step

            return build_step(_run_ref(run), checked["batch_id"])

        @task
        def publish(run: dict, built: dict) -> dict:
            from csc.pipeline import publish_step

            return publish_step(_run_ref(run), built["batch_id"])

        @task
        def finish(run: dict, published: dict) -> None:
            from csc.pipeline import finish_run

            finish_run(_run_ref(run), "success", batch_id=published["batch_id"])

        run = start_run()
        arrived = ExtractArrivedSensor(task_id="wait_for_extract", run=run, poke_interval=300, timeout=6 * 3600,
                                       mode="reschedule")
        loaded = load(run, arrived.output)
        finish(run, publish(run, build(run, check(run, loaded))))

    return nightly()


def _run_ref(run: dict):
    from csc.pipeline import RunRef

    return RunRef(run_id=run["run_id"], la_code=run["la_code"], extract_date=pendulum.parse(run["extract_date"]).date())


for _la in load_las(get_settings().las_config):
    globals()[f"csc_nightly_{_la.code}"] = nightly_dag(_la)
