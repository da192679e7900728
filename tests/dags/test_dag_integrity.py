"""Every DAG imports cleanly, carries what operations needs, and importing does no database or network work."""

import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from csc.las import load_las
from csc.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.dags

DAGS_DIR = PROJECT_ROOT / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_one_nightly_dag_per_configured_la(dagbag):
    expected = {f"csc_nightly_{la.code}" for la in load_las(Settings().las_config)}
    assert expected <= set(dagbag.dag_ids)


def test_one_quarterly_return_dag_per_configured_la_scheduled_on_its_marts_asset(dagbag):
    from airflow.sdk import Asset

    for la in load_las(Settings().las_config):
        nightly = dagbag.dags[f"csc_nightly_{la.code}"]
        published = nightly.get_task("publish").outlets
        assert published == [Asset(name=f"csc_marts_{la.code}", uri=f"csc://marts/{la.code}", group="csc")]
        quarterly = dagbag.dags[f"csc_quarterly_return_{la.code}"]
        assert [a.uri for a in quarterly.timetable.asset_condition.objects] == [f"csc://marts/{la.code}"]


def test_nightly_runs_one_at_a_time_with_catch_up_from_the_las_start_date(dagbag):
    for la in load_las(Settings().las_config):
        dag = dagbag.dags[f"csc_nightly_{la.code}"]
        assert dag.max_active_runs == 1
        assert dag.catchup is True
        # The first run, on the morning after start_date, processes the extract of start_date.
        assert dag.start_date.in_timezone(la.timezone).date() == la.start_date + timedelta(days=1)


def test_nightly_retries_back_off_exponentially_and_waits_deferrably(dagbag):
    from cosmos.operators.local import DbtBuildLocalOperator

    from csc.orchestration.triggers import ExtractArrivedTrigger

    dag = dagbag.dags["csc_nightly_999"]
    for task in dag.tasks:
        assert task.retries >= 1 and task.retry_exponential_backoff > 1, task.task_id
    sensor = dag.get_task("wait_for_extract")
    assert hasattr(sensor, "execute_complete")  # resumes from the trigger
    path, kwargs = ExtractArrivedTrigger("/x/999/2026-01-01", 5, "2026-01-02T06:00:00+00:00").serialize()
    assert path == "csc.orchestration.triggers.ExtractArrivedTrigger"
    assert ExtractArrivedTrigger(**kwargs).serialize() == (path, kwargs)
    assert isinstance(dag.get_task("build"), DbtBuildLocalOperator)  # one Cosmos node: the whole dbt build
    assert dag.get_task("build").emit_datasets is False


def test_every_dag_has_owner_tags_retries_and_failure_callback(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        for task in dag.tasks:
            where = f"{dag_id}.{task.task_id}"
            assert task.owner and task.owner != "airflow", f"{where} has no owner"
            assert task.on_failure_callback, f"{where} has no failure callback"
        retried = [t for t in dag.tasks if t.retries > 0]
        assert retried, f"{dag_id}: no task retries transient failures"


def test_the_nightly_dag_runs_the_steps_in_order(dagbag):
    dag = dagbag.dags["csc_nightly_999"]
    order = ["start_run", "wait_for_extract", "load", "check", "build", "publish", "purge", "readiness", "finish"]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids, f"{upstream} -> {downstream}"


GUARD = textwrap.dedent("""
    import sys, runpy
    def guard(event, args):
        if event in ("socket.connect", "socket.getaddrinfo", "subprocess.Popen", "os.system"):
            raise RuntimeError(f"DAG import did {event} {args!r}")
    sys.addaudithook(guard)
    runpy.run_path(sys.argv[1], run_name="dag_import")
    print("IMPORT-OK")
""")


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS_DIR.glob("*.py")))
def test_import_does_no_database_or_network_work(dag_file, tmp_path):
    """Import with the embedded warehouse stopped and with an unreachable warehouse URL: no socket, no process."""
    for warehouse in ({}, {"CSC_WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:9/none"}):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
        env.update(warehouse, CSC_HOME=str(tmp_path / "home"), AIRFLOW_HOME=str(tmp_path / "airflow"))
        done = subprocess.run([sys.executable, "-c", GUARD, str(DAGS_DIR / dag_file)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert "IMPORT-OK" in done.stdout, done.stderr[-3000:]
        assert not (tmp_path / "home" / "warehouse").exists(), "importing the DAG started the embedded warehouse"
