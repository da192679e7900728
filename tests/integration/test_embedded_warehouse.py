"""The embedded warehouse through the real CLI: reuse, stop without leftovers, TCP only with a password."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_processes(pgdata: Path) -> list[str]:
    """Live processes of the server whose data folder is ``pgdata`` (its postmaster and children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(") ", 1)[1][0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state != "Z" and str(pgdata) in cmdline:
            found.append(cmdline)
    postmaster_pid = pgdata / "postmaster.pid"
    if postmaster_pid.exists():
        found.append(f"postmaster.pid still present: {postmaster_pid.read_text().split()[0]}")
    return found


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
    env["CSC_HOME"] = str(home)

    def csc(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "csc.cli", *args], env=env, capture_output=True, text=True,
                              check=check, timeout=180)

    yield home, csc
    csc("warehouse", "stop", check=False)


def test_start_reuses_the_running_server_and_stop_leaves_nothing(home):
    home, csc = home
    from csc.warehouse.embedded import binaries_version

    first = csc("warehouse", "start").stdout
    second = csc("warehouse", "start").stdout
    assert first.split("pid ")[1].split(")")[0] == second.split("pid ")[1].split(")")[0]
    pgdata = home / "warehouse" / "pgdata"
    assert server_processes(pgdata)
    # The version the running server reports, e.g. "PostgreSQL 18.6" (the supported-version check: tests/security).
    assert f"server version: PostgreSQL {binaries_version()}\n" in csc("warehouse", "status").stdout
    assert "warehouse stopped" in csc("warehouse", "stop").stdout
    assert server_processes(pgdata) == []
    status = csc("warehouse", "status", check=False)
    assert status.returncode == 3 and "not running" in status.stdout


def test_tcp_needs_a_bi_login_password(home):
    home, csc = home
    port = free_port()
    csc("warehouse", "start", "--tcp", str(port))
    csc("init")
    assert "bi_login_tableau" in csc("bi", "add-login", "tableau").stdout
    password = (home / "secrets" / "bi_login_tableau").read_text().strip()
    with psycopg.connect(host="127.0.0.1", port=port, user="tableau", password=password, dbname="csc") as conn:
        assert conn.execute("select current_user").fetchone()[0] == "tableau"
    for user, secret in (("tableau", None), ("tableau", "not-the-password"), ("bi_reader", password),
                         ("postgres", None)):
        with pytest.raises(psycopg.OperationalError, match="password|not permitted to log in"):
            psycopg.connect(host="127.0.0.1", port=port, user=user, password=secret, dbname="csc", connect_timeout=5)
    # A command that merely needs the warehouse must not turn TCP off.
    csc("warehouse", "status")
    with psycopg.connect(host="127.0.0.1", port=port, user="tableau", password=password, dbname="csc") as conn:
        conn.execute("select 1")


def test_pg_hba_never_trusts_tcp(home):
    home, csc = home
    csc("warehouse", "start")
    hba = (home / "warehouse" / "pgdata" / "pg_hba.conf")
    lines = [line.split() for line in subprocess.run(["cat", str(hba)], capture_output=True, text=True).stdout
             .splitlines() if line.strip() and not line.startswith("#")]
    host_methods = {line[-1] for line in lines if line[0].startswith("host")}
    assert host_methods == {"scram-sha-256"}


def test_status_of_an_existing_server_prints_its_version(pg_server, tmp_path):
    """With CSC_WAREHOUSE_URL, the version is the one that server reports (whatever it is)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_")}
    env.update(CSC_HOME=str(tmp_path / "home"), CSC_WAREHOUSE_URL=pg_server.conninfo())
    with psycopg.connect(pg_server.conninfo()) as conn:
        version = conn.execute("show server_version").fetchone()[0].split()[0]
    out = subprocess.run([sys.executable, "-m", "csc.cli", "warehouse", "status"], env=env, capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert f"server version: PostgreSQL {version}\n" in out
