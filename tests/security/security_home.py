"""The product as an operator runs it, through the real ``csc`` command (see conftest.py's ``secure_home``).

``secure_home`` is one CSC_HOME with its own embedded server (TCP on a free loopback port, so BI and casework
logins connect as a BI tool would) on which the whole pipeline ran once: generate an extract into landing,
load, check, build, publish, write the quarterly return. Every command runs in a child process started with
umask 022, so the file modes found afterwards are what the product itself chose.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

LA = "999"
AS_OF = "2026-09-30"
QUARTER = "2026Q2"
SIZE = "1500"  # children aged 0-17: small enough to build quickly, big enough for casework exceptions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Home:
    path: Path
    env: dict[str, str]
    port: int | None = None

    def csc(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "csc.cli", *args], env=self.env, capture_output=True,
                                text=True, check=False, timeout=timeout, preexec_fn=lambda: os.umask(0o022))
        if check and result.returncode != 0:
            raise AssertionError(f"csc {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def password(self, secret_file: str) -> str:
        return (self.path / "secrets" / secret_file).read_text().strip()

    def tcp(self, user: str, password: str | None, dbname: str = "csc", **kwargs) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=user, password=password, dbname=dbname,
                               connect_timeout=10, **kwargs)

    def admin(self, **kwargs) -> psycopg.Connection:
        """The pipeline's own login: the superuser over the private socket (peer authentication)."""
        from csc.warehouse.embedded import EmbeddedServer

        status = EmbeddedServer(self.path / "warehouse" / "pgdata").status()
        assert status.running, "the warehouse of this CSC_HOME is not running"
        return psycopg.connect(host=str(status.socket_dir), port=status.port, user="postgres", dbname="csc",
                               **kwargs)


def make_home(base: Path, *, tcp: bool) -> Home:
    # A long path: the socket cannot live in the data folder and goes to a private folder in /tmp.
    path = base / ("a-folder-with-a-long-name-so-that-the-socket-path-would-not-fit-" + "x" * 20) / "csc-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_", "AIRFLOW"))}
    env.update(CSC_HOME=str(path), CSC_DQ_DATA_DOCS="false")
    home = Home(path, env)
    if tcp:
        home.port = free_port()
        env["CSC_WAREHOUSE_TCP_PORT"] = str(home.port)
    return home
