"""What the benchmarks share: a private embedded PostgreSQL server in a temporary folder, the CPU seconds of that
server and of this process's children, a child-process runner that measures the child alone, and the description of
the machine and its load.

The scripts import it by name (``from _common import ...``): Python puts the script's own folder, ``benchmarks/``,
first on ``sys.path``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from csc.warehouse.embedded import PG_BIN, EmbeddedServer, ServerStatus

MB = 1024 * 1024


# -- the command line ------------------------------------------------------------------------------------------------
def generator_parser(doc: str, *, as_of: str = "2025-03-31", extract: str | None = None) -> argparse.ArgumentParser:
    """A parser described by the first line of ``doc``, with the options of the extract to generate: ``--la``
    (903: Countyshire), ``--size`` and ``--as-of``; with ``extract`` (what the script does with it, e.g. "load"),
    also ``--extract PATH``, an existing extract folder used instead."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    instead = " when no --extract is given" if extract else ""
    if extract:
        parser.add_argument("--extract", type=Path, help=f"An extract folder <...>/<la_code>/<YYYY-MM-DD>/ to "
                                                         f"{extract}.")
    parser.add_argument("--la", default="903", help=f"Generator LA{instead} (903: Countyshire).")
    parser.add_argument("--size", default="county", help=f"Generator size{instead}: tiny, small, county.")
    parser.add_argument("--as-of", default=as_of, help="Generator extract date.")
    return parser


# -- the private server ----------------------------------------------------------------------------------------------
@dataclass
class PrivateServer:
    """A running embedded server of its own in ``work/pgdata``; ``work`` is the temporary folder for the rest."""

    work: Path
    server: EmbeddedServer
    status: ServerStatus

    @property
    def socket(self) -> str:
        return str(self.status.socket_dir)

    @property
    def port(self) -> int:
        return self.status.port or 5432

    @property
    def pid(self) -> int | None:
        """The postmaster's process id."""
        return self.status.pid

    def conninfo(self, dbname: str = "postgres") -> str:
        """``host=... port=... user=postgres dbname=...`` of a database of this server, as the superuser."""
        return f"host={self.socket} port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@/{dbname}?host={self.socket}&port={self.port}"

    def cpu_seconds(self) -> float:
        """CPU seconds this server has used so far (see :func:`server_cpu_seconds`)."""
        return server_cpu_seconds(self.pid)


@contextmanager
def temporary_folder(prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A temporary folder the embedded server's OS user can reach (0755: as root the server runs as another user);
    removed at the end unless ``keep`` (then its path is printed)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(work, 0o755)
    try:
        yield work
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@contextmanager
def private_server(prefix: str, *, databases: tuple[str, ...] = (), autovacuum: bool = True,
                   keep: bool = False) -> Iterator[PrivateServer]:
    """Start an embedded PostgreSQL server in a new temporary folder, so that no other database work competes for
    it; create ``databases``; with ``autovacuum=False`` turn autovacuum off (nothing in the background: autovacuum
    waking after one measured run would be charged to the next). Stopped and removed at the end (kept with
    ``keep``)."""
    with temporary_folder(prefix, keep=keep) as work:
        server = EmbeddedServer(work / "pgdata")
        try:
            private = PrivateServer(work=work, server=server, status=server.start())
            with psycopg.connect(private.conninfo(), autocommit=True) as conn:
                for name in databases:
                    conn.execute(f'create database "{name}"')
                if not autovacuum:
                    conn.execute("alter system set autovacuum = off")
                    conn.execute("select pg_reload_conf()")
            yield private
        finally:
            server.stop()


# -- CPU seconds -----------------------------------------------------------------------------------------------------
def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (fields[1] is the parent, [11:15] utime, stime,
    cutime, cstime in clock ticks); None for a process gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (for the postmaster: backends, parallel workers, background processes)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(entry)
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def server_cpu_seconds(postmaster: int | None, *, settle: float = 0.5) -> float:
    """CPU seconds (user + system) a PostgreSQL server has used so far: the postmaster's own, that of the children
    it has reaped (its cutime and cstime: backends that have ended), and that of its live children. Waits ``settle``
    seconds first, so that the postmaster has reaped the backends that just ended and none is missed between the
    two. 0 without a postmaster."""
    if not postmaster:
        return 0.0
    time.sleep(settle)
    own = _stat(postmaster)
    if own is None:
        return 0.0
    ticks = sum(int(v) for v in own[11:15])
    for child in children_of(postmaster):
        fields = _stat(child)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- child processes -------------------------------------------------------------------------------------------------
@dataclass
class ChildRun:
    """One child process, measured alone (``os.wait4``): its wall seconds, its own CPU seconds, its own peak
    resident memory in bytes (``ru_maxrss``), its exit code and its output (stdout and stderr together)."""

    wall: float
    cpu: float
    peak: int
    returncode: int
    output: str


def run_child(command: list[str], *, env: dict[str, str] | None = None, on_start: Callable[[int], None] | None = None,
              on_line: Callable[[str], None] | None = None) -> ChildRun:
    """Run ``command`` and wait for it with ``os.wait4``, which gives that child's own resource usage: its peak is
    not the maximum over every child so far, as ``RUSAGE_CHILDREN``'s would be. ``on_start`` is called with its
    process id once started; with ``on_line`` the output is read as it comes (unbuffered Python), each line passed
    to it, otherwise it goes to a temporary file until the end. Nothing is raised on a non-zero exit code.

    A child started with fork keeps its parent's peak as its own ``ru_maxrss`` after exec: the calling process
    must stay small for the peak to be the child's."""
    started = time.perf_counter()
    if on_line is not None:
        lines = []
        child = subprocess.Popen(command, env={**(env or os.environ), "PYTHONUNBUFFERED": "1"},
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if on_start:
            on_start(child.pid)
        for line in child.stdout:
            lines.append(line)
            on_line(line)
        child.stdout.close()
        _, status, usage = os.wait4(child.pid, 0)
        output = "".join(lines)
    else:
        with tempfile.TemporaryFile("w+") as out:
            child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
            if on_start:
                on_start(child.pid)
            _, status, usage = os.wait4(child.pid, 0)
            out.seek(0)
            output = out.read()
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: Popen must not wait for it again
    return ChildRun(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak=usage.ru_maxrss * 1024,
                    returncode=child.returncode, output=output)


# -- the machine ----------------------------------------------------------------------------------------------------
def machine() -> str:
    """``2 cores (AMD EPYC ...), x86_64, Python 3.11.7, PostgreSQL 18.1``: what the figures were measured on."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        cpuinfo = []
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                 platform.processor() or "unknown CPU")
    postgres = subprocess.run([str(PG_BIN / "postgres"), "--version"], capture_output=True, text=True).stdout.split()
    return (f"{os.cpu_count()} cores ({model}), {platform.machine()}, Python {platform.python_version()}, "
            f"PostgreSQL {postgres[-1] if postgres else 'unknown'}")


def load_average() -> float:
    """The 1-minute load average: how busy the (shared) machine is."""
    return os.getloadavg()[0]
