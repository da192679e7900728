"""Finding 1 and 9: Airflow has a login and listens on loopback only.

One real ``csc airflow start`` (api-server, scheduler, dag-processor, triggerer) for the module, started with an
operator's leftover ``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True`` in its environment, which must not open it:

- anonymous calls to the API are refused (401/403);
- a viewer's token lists DAGs but not connections; a data engineer's (admin) token lists connections;
- the generated passwords are in an owner-only file and never in a log; ``csc airflow start`` says how to log in;
- no process of this Airflow listens anywhere but 127.0.0.1, and the log-server ports 8793/8794 stay closed while
  the scheduler and triggerer run.
"""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from airflow_install import free_port, install

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.security]

LOG_SERVER_PORTS = {8793, 8794}


@pytest.fixture(scope="module")
def airflow(pg_server, tmp_path_factory):
    for orch in install(pg_server, tmp_path_factory.mktemp("csc-home"), tmp_path_factory.mktemp("generated")):
        port = free_port()
        try:
            started = orch.csc("airflow", "start", "--port", str(port), timeout=300,
                               extra_env={"AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"})
            assert started.returncode == 0, started.stdout + started.stderr
            yield SimpleNamespace(orch=orch, url=f"http://127.0.0.1:{port}", started=started)
        finally:
            stopped = orch.csc("airflow", "stop")
            assert stopped.returncode == 0, stopped.stderr


def call(url: str, *, token: str | None = None, data: dict | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers, data=json.dumps(data).encode() if data else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def passwords(airflow) -> dict[str, str]:
    return json.loads((airflow.orch.settings.secrets_dir / "airflow_passwords.json").read_text())


def token(airflow, user: str) -> str:
    status, body = call(f"{airflow.url}/auth/token", data={"username": user, "password": passwords(airflow)[user]})
    assert status in (200, 201), f"{user} could not log in: HTTP {status}"
    return body["access_token"]


@pytest.mark.parametrize("path", ["/api/v2/connections", "/api/v2/dags", "/api/v2/variables"])
def test_anonymous_api_access_is_refused(airflow, path):
    status, _ = call(f"{airflow.url}{path}")
    assert status in (401, 403), f"anonymous GET {path} answered {status}"


def test_a_wrong_password_gets_no_token(airflow):
    status, body = call(f"{airflow.url}/auth/token", data={"username": "engineer", "password": "not-it"})
    assert status in (400, 401, 403) and "access_token" not in body


def test_a_viewer_cannot_read_connections_and_an_engineer_can(airflow):
    viewer, engineer = token(airflow, "viewer"), token(airflow, "engineer")
    assert call(f"{airflow.url}/api/v2/dags", token=viewer)[0] == 200
    assert call(f"{airflow.url}/api/v2/connections", token=viewer)[0] == 403
    assert call(f"{airflow.url}/api/v2/variables", token=viewer)[0] == 403
    assert call(f"{airflow.url}/api/v2/connections", token=engineer)[0] == 200


def test_passwords_are_owner_only_and_in_no_log(airflow):
    settings = airflow.orch.settings
    path = settings.secrets_dir / "airflow_passwords.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.secrets_dir.stat().st_mode) == 0o700
    values = [p.encode() for p in passwords(airflow).values()]
    assert set(passwords(airflow)) == {"engineer", "viewer"}
    logs = [p for p in settings.logs_dir.rglob("*") if p.is_file()]
    leaked = [str(p) for p in logs if any(v in p.read_bytes() for v in values)]
    assert not leaked
    assert not any(v.decode() in airflow.started.stdout + airflow.started.stderr for v in values)


def test_start_says_how_to_log_in(airflow):
    out = airflow.started.stdout
    assert "engineer (admin)" in out and "viewer (viewer)" in out, out
    assert str(airflow.orch.settings.secrets_dir / "airflow_passwords.json") in out, out


def _listeners() -> dict[int, tuple[str, int]]:
    """Socket inode -> (address, port) of every TCP socket in LISTEN state on this machine."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":
                continue
            address, port = fields[1].split(":")
            if len(address) == 8:
                text = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
            elif address == "0000000000000000FFFF0000" + address[-8:]:
                text = ".".join(str(int(address[-8:][i:i + 2], 16)) for i in (6, 4, 2, 0))
            else:
                text = "::1" if address == "00000000000000000000000001000000" else f"[{address}]"
            found[int(fields[9])] = (text, int(port, 16))
    return found


def _socket_inodes_of(home: Path) -> set[int]:
    """Inodes of the sockets held by the processes of this CSC_HOME's Airflow: every process in the process group of
    a component `csc airflow start` started (pid files in <airflow home>/run; process titles hide the environment)."""
    groups = {int(p.read_text()) for p in (home / "airflow" / "run").glob("*.pid")}
    inodes = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[2]) not in groups:
                continue
            for fd in (entry / "fd").iterdir():
                target = str(fd.readlink())
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue
    return inodes


def test_every_listener_is_on_loopback_and_the_log_servers_are_not_started(airflow):
    orch = airflow.orch
    # Scheduler and triggerer are up: their jobs heartbeat in the metadata database.
    jobs = {r[0] for r in orch.airflow_query("select job_type from job where state = 'running'")}
    assert {"SchedulerJob", "TriggererJob"} <= jobs, jobs
    running = {c: s for c, s in (line.split(maxsplit=1) for line in orch.csc("airflow", "status").stdout.splitlines())}
    assert all(state.startswith("running") for state in running.values()), running
    inodes = _socket_inodes_of(orch.settings.home)
    ours = [address for inode, address in _listeners().items() if inode in inodes]
    port = int(airflow.url.rsplit(":", 1)[1])
    assert ("127.0.0.1", port) in ours, ours  # the api-server: proof the listeners were found
    assert all(host == "127.0.0.1" for host, _ in ours), ours
    assert not [a for a in ours if a[1] in LOG_SERVER_PORTS], ours
