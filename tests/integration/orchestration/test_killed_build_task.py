"""Killing the nightly DAG's build task mid-build (kill -9 of the process running the task) kills its dbt too, and
the next build, started at once, succeeds; then the night runs again through the DAG (issue 16, item 3).

``csc backfill`` runs the nightly DAG with ``dag.test()``: its tasks, the Cosmos build task included, run in the
backfill's own process, which is therefore the task process killed here.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from csc.transform import build

from orch_helpers import LA

pytestmark = [pytest.mark.integration, pytest.mark.dags, pytest.mark.slow]

NIGHT = date(2026, 3, 10)


def live_dbt(pid: int) -> tuple[int, bool] | None:
    """(parent pid, runs dbt) of ``pid`` if it is alive (not a zombie), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") else (int(fields[1]), b"dbt" in cmdline)


def test_killing_the_build_task_kills_its_dbt_and_the_next_build_succeeds_at_once(orchestration):
    orch = orchestration
    orch.land(orch.generate(NIGHT)[0])
    process = subprocess.Popen(
        [sys.executable, "-m", "csc.cli", "backfill", "--la", LA, "--from", NIGHT.isoformat(), "--to",
         NIGHT.isoformat()], env=orch.env, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 900  # a safety net for a hung run, not a measure of speed
        running: list[tuple] = []
        while not running:
            assert process.poll() is None, "the run ended before its build could be killed"
            assert time.monotonic() < deadline, "the build task never started dbt"
            time.sleep(0.1)
            running = orch.query("select build_id, dbt_pid, dbt_pgid from ops.dbt_builds "
                                 "where status = 'running' and dbt_pid is not null")
        build_id, dbt_pid, dbt_pgid = running[0]
        assert dbt_pgid == dbt_pid, "dbt leads its own process group"
        assert live_dbt(dbt_pid) == (process.pid, True), "the build task's process started dbt"
    finally:
        process.kill()  # kill -9 of the task's process alone, not of its process group
        process.wait()

    left_at_next_start: list[tuple | None] = []

    def progress(line: str) -> None:
        if not left_at_next_start:  # the next build's first line: it holds the build lock and is starting
            left_at_next_start.append(live_dbt(dbt_pid))

    result = build(orch.settings, progress=progress)
    assert result.ok
    assert left_at_next_start == [None], "the killed task's dbt was still running when the next build started"
    assert live_dbt(dbt_pid) is None
    statuses = dict(orch.query("select build_id, status from ops.dbt_builds"))
    assert statuses == {build_id: "failed", result.build_id: "success"}
    # And the killed night itself runs again through the DAG (its build task reruns) and is published.
    again = orch.csc("backfill", "--la", LA, "--from", NIGHT.isoformat(), "--to", NIGHT.isoformat())
    assert again.returncode == 0, again.stdout + again.stderr
    assert orch.query("select status from ops.extract_batches where extract_date = %s", (NIGHT,)) == [("published",)]
    assert [s for _, s in sorted(orch.query("select build_id, status from ops.dbt_builds"))] == \
        ["failed", "success", "success"]
