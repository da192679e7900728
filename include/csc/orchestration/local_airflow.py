"""``make airflow``: the Airflow UI and scheduler on 127.0.0.1 against the embedded database, and their shutdown.

Each component (api-server, scheduler, dag-processor, triggerer) runs detached in its own process group, with its
pid in ``<airflow home>/run/`` and its output in ``<logs>/airflow/<component>.log``. Stopping signals each whole
group (task processes included) and waits until every process is gone, so nothing is left behind.

Every listener is on 127.0.0.1: the api-server (``AIRFLOW__API__HOST``). The scheduler's and triggerer's log servers
(8793, 8794) have no bind setting in Airflow 3.3, so they are not started (``--skip-serve-logs``): every component
runs on this machine and the api-server reads task logs from the local log folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from csc.orchestration.airflow_env import API_HOST, DEFAULT_API_PORT, airflow_env
from csc.settings import Settings

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# The arguments of each component: no log server (it would listen on every interface).
ARGUMENTS = {"scheduler": ("--skip-serve-logs",), "triggerer": ("--skip-serve-logs",)}


class AirflowError(RuntimeError):
    pass


@dataclass(frozen=True)
class Component:
    name: str
    pid: int | None
    running: bool


def _run_dir(settings: Settings) -> Path:
    return settings.airflow_home / "run"


def _pid_file(settings: Settings, name: str) -> Path:
    return _run_dir(settings) / f"{name}.pid"


def airflow_command(settings: Settings, *args: str, check: bool = True, env: dict[str, str] | None = None,
                    **kwargs) -> subprocess.CompletedProcess:
    """Run one ``airflow ...`` command with this install's environment."""
    env = env or airflow_env(settings)
    result = subprocess.run(["airflow", *args], env=env, check=False, **kwargs)
    if check and result.returncode != 0:
        raise AirflowError(f"`airflow {' '.join(args)}` failed with exit code {result.returncode}")
    return result


def migrate(settings: Settings) -> None:
    """Create or upgrade the Airflow metadata database (idempotent)."""
    log_file = settings.logs_dir / "airflow" / "db-migrate.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as out:
        result = airflow_command(settings, "db", "migrate", check=False, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log_file.read_text().splitlines()[-15:])
        raise AirflowError(f"airflow db migrate failed; see {log_file}\n{tail}")


def status(settings: Settings) -> list[Component]:
    components = []
    for name in COMPONENTS:
        pid = _read_pid(_pid_file(settings, name))
        components.append(Component(name, pid, pid is not None and _group_alive(pid)))
    return components


def start(settings: Settings, *, port: int = DEFAULT_API_PORT, timeout: float = 120) -> str:
    """Start every component not already running; return the UI's URL once it answers."""
    env = airflow_env(settings, api_port=port)
    migrate(settings)
    _run_dir(settings).mkdir(parents=True, exist_ok=True)
    log_dir = settings.logs_dir / "airflow"
    log_dir.mkdir(parents=True, exist_ok=True)
    for component in status(settings):
        if component.running:
            continue
        with (log_dir / f"{component.name}.log").open("ab") as out:
            command = ["airflow", component.name, *ARGUMENTS.get(component.name, ())]
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        _pid_file(settings, component.name).write_text(str(process.pid))
    url = f"http://{API_HOST}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [c.name for c in status(settings) if not c.running]
        if dead:
            raise AirflowError(f"Airflow {', '.join(dead)} exited; see {log_dir}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2) as response:
                if response.status == 200:
                    return url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise AirflowError(f"The Airflow API did not answer on {url} within {timeout:.0f} s; see {log_dir}")


def login_help(settings: Settings) -> str:
    """How to log in: the users, their roles and where their passwords are (never the passwords themselves)."""
    from csc.orchestration.airflow_env import airflow_users, passwords_file

    env = airflow_env(settings)
    if not env.get("AIRFLOW__CORE__AUTH_MANAGER", "").endswith(".SimpleAuthManager"):
        return f"Log in with the users of your auth manager ({env['AIRFLOW__CORE__AUTH_MANAGER']})."
    users = ", ".join(f"{name} ({role})" for name, role in airflow_users(env))
    return (f"Log in as one of: {users}. Passwords: {passwords_file(env)} (owner-only; "
            f"e.g. `python -m json.tool {passwords_file(env)}`). The API takes a token from POST /auth/token.")


def stop(settings: Settings, *, timeout: float = 30) -> list[str]:
    """Stop every component's whole process group; return the names of those that were running."""
    stopped = []
    for name in COMPONENTS:
        pid_file = _pid_file(settings, name)
        pid = _read_pid(pid_file)
        if pid is not None and _group_alive(pid):
            _signal_group(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _group_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _group_alive(pid):
                _signal_group(pid, signal.SIGKILL)
                while _group_alive(pid):
                    time.sleep(0.1)
            stopped.append(name)
        pid_file.unlink(missing_ok=True)
    return stopped


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process remains in the process group ``pgid``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state != "Z":
            return True
    return False
