"""The next start closes the run records a process that is gone left open (issue 16, item 4)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date

import pytest

from csc.pipeline import RunRef, recorded_step, start_run
from csc.warehouse.bootstrap import LOADER, TRANSFORMER
from csc.warehouse.connection import connect, ensure_warehouse_running

pytestmark = pytest.mark.integration


def _open_records_and_die(settings, run_id: int) -> None:
    """A real process that opens a dq run, a dbt build and a pipeline step, then dies without closing them."""
    script = textwrap.dedent(f"""
        import os
        from datetime import date
        from csc.settings import Settings
        from csc.pipeline import RunRef, recorded_step
        from csc.warehouse.connection import connect
        settings = Settings(home={str(settings.home)!r}, warehouse_url={settings.warehouse_url.get_secret_value()!r})
        with connect(settings, role={LOADER!r}, autocommit=True) as conn:
            conn.execute("insert into ops.dq_runs (batch_id, started_at) values (1, now())")
        with connect(settings, role={TRANSFORMER!r}, autocommit=True) as conn:
            conn.execute("insert into ops.dbt_builds (started_at, status, publication_suffix, builds_every_model) "
                         "values (now(), 'running', '__next', true)")
        with recorded_step(RunRef({run_id}, "901", date(2026, 6, 30)), "check", settings):
            os._exit(9)  # killed mid-step: nothing of the step's own error handling runs
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr


def test_next_start_closes_records_whose_process_is_gone(warehouse_settings):
    settings = warehouse_settings
    with connect(settings, role=LOADER, autocommit=True) as conn:
        conn.execute("insert into ops.extract_batches (batch_id, la_code, extract_date, extracted_at, "
                     "content_sha256, landing_path, status) overriding system value values "
                     "(1, '901', '2026-06-30', now(), 'x', '/nowhere', 'loaded')")
    run = start_run("901", date(2026, 6, 30), settings=settings)
    _open_records_and_die(settings, run.run_id)

    # A run of this (live) process stays open: only records of a process that is gone are closed.
    live = start_run("901", date(2026, 7, 1), settings=settings)
    with recorded_step(RunRef(live.run_id, "901", live.extract_date), "load", settings):
        ensure_warehouse_running(settings)  # the next start
        with connect(settings, autocommit=True) as conn:
            dq = conn.execute("select outcome, finished_at is not null, detail->>'error' from ops.dq_runs").fetchall()
            builds = conn.execute("select status, finished_at is not null, message from ops.dbt_builds").fetchall()
            step = conn.execute("select status, finished_at is not null from ops.pipeline_steps "
                                "where run_id = %s", (run.run_id,)).fetchone()
            runs = dict(conn.execute("select run_id, status from ops.pipeline_runs").fetchall())
            live_step = conn.execute("select status from ops.pipeline_steps where run_id = %s",
                                     (live.run_id,)).fetchone()[0]
    assert [(o, f) for o, f, _ in dq] == [("failed", True)] and "interrupted" in dq[0][2]
    assert [(s, f) for s, f, _ in builds] == [("failed", True)] and "is gone" in builds[0][2]
    assert step == ("failed", True)
    assert runs == {run.run_id: "failed", live.run_id: "running"}
    assert live_step == "running"
