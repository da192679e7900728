"""dbt's process (csc.transform.build.run_process): its own process group, killed with the process that started it.

A stand-in child (a Python sleeping with "dbt" in its command line) shows the mechanism in a second; the real builds
killed with kill -9 are in test_warehouse.py (``csc build``) and orchestration/test_killed_build_task.py (the task).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csc.transform.build import _group_members, stop_process_group

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")

# A parent that starts the stand-in dbt with run_process and prints its pid, then waits for it.
PARENT = """
import sys
from csc.transform.build import run_process
run_process([sys.executable, "-c", "import time; time.sleep(600)", "dbt"], None, ".", None,
            on_start=lambda pid: print(pid, flush=True))
"""


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] not in ("Z", "X")


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 60  # a safety net, not a measure: the kernel kills it at once
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_dbt_leads_its_own_process_group_and_dies_with_its_parent():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert os.getpgid(child) == child != os.getpgid(parent.pid)
        assert set(_group_members(child)) == {child}
        parent.kill()  # kill -9 of the parent alone
        parent.wait()
        assert wait_gone(child), "the child outlived its parent"
    finally:
        stop_process_group(child)
        parent.stdout.close()


def test_stop_process_group_kills_a_dbt_group_and_leaves_others_alone():
    dbt = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "dbt"], start_new_session=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    try:
        assert not stop_process_group(other.pid), "a group that is not dbt's is never signalled"
        assert other.poll() is None
        assert stop_process_group(dbt.pid)
        assert dbt.wait() == -9
        assert not stop_process_group(dbt.pid), "nothing left to stop"
    finally:
        other.kill()
        dbt.kill()
        other.wait()
        dbt.wait()
