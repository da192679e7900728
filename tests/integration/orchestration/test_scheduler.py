"""The real thing: ``csc airflow start`` (api-server, scheduler, dag-processor, triggerer), one nightly run of a tiny
extract triggered with ``airflow dags trigger``, the wait deferred to the triggerer until the extract lands, the
published-marts asset triggering the quarterly return, then ``csc airflow stop`` leaving no process behind."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from orch_helpers import LA, local_today
from smtp_sink import free_port

pytestmark = [pytest.mark.integration, pytest.mark.dags, pytest.mark.slow]

NIGHTLY, QUARTERLY = f"csc_nightly_{LA}", f"csc_quarterly_return_{LA}"


def wait_for(what: str, probe, timeout: float, orch, interval: float = 2.0):
    """Poll ``probe()`` until it returns something truthy; on timeout, fail with the Airflow logs' tails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    logs = orch.settings.logs_dir / "airflow"
    tails = "\n".join(f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-30:])
                      for p in sorted(logs.glob("*.log")))
    states = orch.airflow_query("select dag_id, task_id, state, try_number from task_instance order by start_date")
    pytest.fail(f"timed out waiting for {what}; task instances: {states}\n{tails}")


def test_real_scheduler_runs_a_nightly_run_and_stops_cleanly(orchestration, airflow_processes):
    orch = orchestration
    night = local_today() - timedelta(days=1)
    # start_date today: no catch-up run is due, only the one this test triggers.
    orch.write_las(start_date=local_today().isoformat(), deadline="23:59")
    extract = orch.generate(night)[0]
    port = free_port()
    try:
        started = orch.csc("airflow", "start", "--port", str(port), timeout=300)
        assert started.returncode == 0, started.stdout + started.stderr
        for dag_id in (NIGHTLY, QUARTERLY):
            wait_for(f"{dag_id} parsed", lambda d=dag_id: orch.airflow_query(
                "select 1 from dag where dag_id = %s", (d,)), 180, orch)
            unpaused = orch.csc("airflow", "cmd", "dags", "unpause", dag_id)
            assert unpaused.returncode == 0, unpaused.stderr
        triggered = orch.csc("airflow", "cmd", "dags", "trigger", NIGHTLY, "--conf",
                             json.dumps({"extract_date": night.isoformat()}))
        assert triggered.returncode == 0, triggered.stdout + triggered.stderr
        run_id = wait_for("the triggered run", lambda: orch.airflow_query(
            "select run_id from dag_run where dag_id = %s", (NIGHTLY,)), 60, orch)[0][0]

        # No extract yet: the wait is handed to the triggerer (no worker slot held).
        wait_for("wait_for_extract deferred", lambda: orch.airflow_query(
            "select 1 from task_instance where dag_id = %s and run_id = %s and task_id = 'wait_for_extract' "
            "and state = 'deferred'", (NIGHTLY, run_id)), 240, orch)
        orch.land(extract)

        def finished():
            rows = orch.airflow_query("select state from dag_run where dag_id = %s and run_id = %s",
                                      (NIGHTLY, run_id))
            return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None

        assert wait_for("the nightly run to finish", finished, 900, orch, interval=3) == "success"
        assert orch.query("select extract_date, status from ops.extract_batches") == [(night, "published")]
        assert orch.query("select count(distinct extract_date) from marts.indicator_daily") == [(1,)]
        states = dict(orch.airflow_query("select task_id, state from task_instance where dag_id = %s and "
                                         "run_id = %s", (NIGHTLY, run_id)))
        assert set(states.values()) == {"success"}, states
        # Publishing updated the LA's marts asset, which runs the quarterly-return DAG: Jul-Sep has closed.
        quarterly = wait_for("the asset-triggered quarterly return", lambda: [
            r for r in orch.airflow_query("select state from dag_run where dag_id = %s", (QUARTERLY,))
            if r[0] in ("success", "failed")], 600, orch, interval=3)
        assert quarterly == [("success",)]
        assert (orch.settings.outputs_dir / "returns" / LA).is_dir()
    finally:
        stopped = orch.csc("airflow", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert airflow_processes(orch.settings.home) == []
