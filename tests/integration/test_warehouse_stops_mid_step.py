"""A warehouse that stops in the middle of `csc load` or `csc check` (issue 16, item 4).

A private embedded server, stopped for real while the command is inside its step: the command prints one line (no
traceback) and exits with the documented "unavailable, try again" status (75), the server is not restarted behind
the user's back, and the next start closes the run records the interrupted process left open as failed.

The command is held inside its step by a lock the test holds (the loader waits for the LA's load lock; the checks
wait for the raw tables), so the stop always lands mid-step, with no timing involved.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from csc.cli.exit_status import NOTHING, OK, UNAVAILABLE
from csc.warehouse import locks
from csc.warehouse.embedded import EmbeddedServer

pytestmark = pytest.mark.integration

LA, NIGHT = "901", "2026-06-30"


@pytest.fixture
def install() -> tuple[Path, Callable[..., subprocess.CompletedProcess], dict[str, str]]:
    # Outside pytest's temporary root, which any pytest session resets to mode 0700 (the server runs as another
    # user when we are root).
    base = Path(tempfile.mkdtemp(prefix="csc-test-stop-"))
    home = base / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
    env.update(CSC_HOME=str(home), PYTHONUNBUFFERED="1")

    def csc(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "csc.cli", *args], env=env, capture_output=True, text=True,
                              check=check, timeout=600)

    csc("warehouse", "start")
    csc("init")
    csc("generate", "--la", LA, "--size", "tiny", "--as-of", NIGHT, "--out", str(home / "landing"), "--quiet")
    yield home, csc, env
    csc("warehouse", "stop", check=False)
    shutil.rmtree(base, ignore_errors=True)


def _admin(home: Path, autocommit: bool = True) -> psycopg.Connection:
    status = EmbeddedServer(home / "warehouse" / "pgdata").status()
    assert status.running
    return psycopg.connect(host=str(status.socket_dir), port=status.port, user="postgres", dbname="csc",
                           autocommit=autocommit)


def _wait_until_blocked(home: Path, application: str, process: subprocess.Popen) -> None:
    """Until the command's session waits for the lock the test holds (or the command ended: then fail)."""
    with _admin(home) as conn:
        while process.poll() is None:
            waiting = conn.execute(
                "select count(*) from pg_stat_activity where application_name like %s and wait_event_type = 'Lock'",
                (application + "%",)).fetchone()[0]
            if waiting:
                return
            conn.execute("select pg_sleep(0.05)")
    pytest.fail(f"the command ended before it reached its step: {process.communicate()}")


def _stop_while_blocked(home: Path, csc, env, args: list[str], application: str, hold: str) -> tuple[int, str]:
    """Run `csc ARGS` while the test holds ``hold`` (SQL taking a lock); stop the server once the command waits."""
    holder = _admin(home, autocommit=False)
    holder.execute(hold)
    process = subprocess.Popen([sys.executable, "-m", "csc.cli", *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_blocked(home, application, process)
        stopped = csc("warehouse", "stop", check=False)
        assert "warehouse stopped" in stopped.stdout, (stopped.stdout, stopped.stderr)
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
        holder.close()
    return process.returncode, out + err


def _assert_one_clear_line(output: str) -> None:
    print(output)  # what the user saw (pytest -s)
    assert "Traceback" not in output, output
    assert not re.search(r" (ERROR|WARNING|CRITICAL) ", output), output  # no log noise around the one line
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    assert "warehouse" in errors[0] and "csc warehouse start" in errors[0], output


def test_load_interrupted_by_a_stopping_warehouse(install):
    home, csc, env = install
    extract = home / "landing" / LA / NIGHT
    code, output = _stop_while_blocked(
        home, csc, env, ["load", str(extract)], "csc load",
        # The LA's load lock (csc.warehouse.locks): its row in ops.pipeline_locks, held FOR UPDATE.
        f"insert into ops.pipeline_locks (name) values ('{locks.load_lock_name(LA)}') on conflict do nothing; "
        f"select name from ops.pipeline_locks where name = '{locks.load_lock_name(LA)}' for update")

    assert code == UNAVAILABLE, output
    _assert_one_clear_line(output)
    # Never restarted behind the user's back: the server stays stopped until someone starts it.
    assert not EmbeddedServer(home / "warehouse" / "pgdata").status().running
    status = csc("warehouse", "status", check=False)
    assert status.returncode == NOTHING
    # A command that does not start the warehouse says so in one line, with the same status, and starts nothing.
    url = csc("warehouse", "url", check=False)
    assert url.returncode == UNAVAILABLE, url
    _assert_one_clear_line(url.stdout + url.stderr)
    assert not EmbeddedServer(home / "warehouse" / "pgdata").status().running

    # Nothing was loaded; the extract is still in landing and loads once the warehouse is back.
    assert (extract / "manifest.json").exists()
    csc("warehouse", "start")
    with _admin(home) as conn:
        assert conn.execute("select count(*) from ops.extract_batches where status in ('loaded', 'loading')"
                            ).fetchone()[0] == 0
    loaded = csc("load", str(extract))
    assert "loaded batch" in loaded.stdout


def test_check_interrupted_by_a_stopping_warehouse_leaves_no_open_run(install):
    home, csc, env = install
    csc("load", str(home / "landing" / LA / NIGHT))
    with _admin(home) as conn:
        batch_id = conn.execute("select batch_id from ops.extract_batches where status = 'loaded'").fetchone()[0]
        raw_tables = [r[0] for r in conn.execute(
            "select format('raw.%I', relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where nspname = 'raw' and relkind in ('r', 'p')").fetchall()]
    code, output = _stop_while_blocked(
        home, csc, env, ["check", "--batch", str(batch_id), "--no-alerts"], "csc check",
        f"lock table {', '.join(raw_tables)} in access exclusive mode")

    assert code == UNAVAILABLE, output
    _assert_one_clear_line(output)
    assert not EmbeddedServer(home / "warehouse" / "pgdata").status().running

    # The interrupted run is open (no outcome, no finish) until the next start, which closes it as failed.
    started = csc("warehouse", "start")
    assert started.returncode == OK
    with _admin(home) as conn:
        runs = conn.execute("select outcome, finished_at is not null, detail->>'error' from ops.dq_runs "
                            "where batch_id = %s", (batch_id,)).fetchall()
        batch_status = conn.execute("select status from ops.extract_batches where batch_id = %s",
                                    (batch_id,)).fetchone()[0]
    assert len(runs) == 1
    outcome, finished, error = runs[0]
    assert (outcome, finished) == ("failed", True), runs
    assert "interrupted" in error
    assert batch_status == "loaded"  # neither checked nor blocked: the checks never finished

    # The same command once the warehouse is back completes.
    done = csc("check", "--batch", str(batch_id), "--no-alerts", check=False)
    assert done.returncode in (0, 1), done.stderr
    assert "Outcome:" in done.stdout
