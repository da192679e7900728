"""The one way to reach the warehouse: resolve where it is (embedded or ``CSC_WAREHOUSE_URL``) and connect.

Every other piece (loader, checks, dbt profile, Great Expectations, Airflow metadata database) gets its connection
parameters from :func:`resolve_target`, so there is exactly one place that knows how to reach the server.

Connecting never starts anything. Starting the embedded server is one explicit step,
:func:`ensure_warehouse_running`, which each ``csc`` command that needs the warehouse and the first task of each
nightly run call once at their start. A server that stops while a step runs is never restarted behind the user's
back: the step fails with :class:`WarehouseUnavailable` (``csc`` exits with status 75, "try again"), and the next
:func:`ensure_warehouse_running` closes the run records the interrupted process left open
(:func:`close_orphaned_runs`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from csc.settings import Settings, get_settings
from csc.warehouse.embedded import EmbeddedServer

log = logging.getLogger(__name__)


class WarehouseUnavailable(ConnectionError):
    """The warehouse cannot be reached (not running, stopped or lost mid-step): try again once it is up.

    A ``ConnectionError``, so the nightly tasks treat it as transient (retried) and ``csc`` exits with
    :data:`csc.cli.exit_status.UNAVAILABLE`.
    """


# SQLSTATE classes of a lost or refused connection: 08 connection exception, 57P01-57P03 server shutting down,
# crashed or starting up. A query that failed for any other reason is not "unavailable".
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def cause_chain(exc: BaseException) -> Iterable[BaseException]:
    """``exc``, then its cause (or context), and so on, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_warehouse_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or anything in its cause chain) means the warehouse could not be reached or went away."""
    for item in cause_chain(exc):
        if isinstance(item, WarehouseUnavailable):
            return True
        if isinstance(item, psycopg.InterfaceError):  # "the connection is closed"
            return True
        if isinstance(item, psycopg.OperationalError):
            code = item.sqlstate
            if code is None or code.startswith(_UNAVAILABLE_SQLSTATES):
                return True
        module = type(item).__module__ or ""
        if module.startswith("psycopg2") and type(item).__name__ in ("OperationalError", "InterfaceError"):
            code = getattr(item, "pgcode", None)
            if code is None or code.startswith(_UNAVAILABLE_SQLSTATES):
                return True
    return False


_REFUSED = ("connection refused", "no such file or directory", "server closed the connection",
            "the database system is shutting down", "the database system is starting up", "timeout expired",
            "could not translate host name", "network is unreachable", "connection timed out")


def _cannot_reach(exc: psycopg.OperationalError, target: Target, settings: Settings | None) -> bool:
    """A failed connection attempt that means "no server there" (not a wrong password or a missing database)."""
    text = str(exc).lower()
    if any(marker in text for marker in _REFUSED):
        return True
    if target.embedded:
        return not EmbeddedServer((settings or get_settings()).pgdata).status().running
    return False


def client_tag() -> str:
    """Who this process is, as recorded in the run records it opens: ``<hostname>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Target:
    """Connection parameters of the warehouse database (host may be a Unix-socket folder)."""

    host: str
    port: int
    user: str
    dbname: str
    password: str | None = None
    embedded: bool = False

    def for_database(self, dbname: str) -> Target:
        return replace(self, dbname=dbname)

    def conninfo(self, **extra: str) -> str:
        params = {"host": self.host, "port": str(self.port), "user": self.user, "dbname": self.dbname}
        if self.password:
            params["password"] = self.password
        params.update(extra)
        return make_conninfo(**params)

    def sqlalchemy_url(self, driver: str = "psycopg2") -> str:
        """An SQLAlchemy URL. A socket host goes in the query string, as libpq expects."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        if self.host.startswith("/"):
            return f"postgresql+{driver}://{auth}@localhost:{self.port}/{self.dbname}?host={self.host}"
        return f"postgresql+{driver}://{auth}@{self.host}:{self.port}/{self.dbname}"

    def display(self) -> str:
        """Where the warehouse is, without the password: safe to print and log."""
        where = f"socket {self.host}" if self.host.startswith("/") else f"{self.host}:{self.port}"
        return f"postgresql://{self.user}@{where}/{self.dbname}"


def resolve_target(settings: Settings | None = None) -> Target:
    """Where the warehouse database is. Never starts anything: a stopped embedded server raises
    :class:`WarehouseUnavailable` naming the command that starts it."""
    settings = settings or get_settings()
    if settings.warehouse_url is not None:
        params = conninfo_to_dict(settings.warehouse_url.get_secret_value())
        return Target(
            host=params.get("host") or "localhost",
            port=int(params.get("port") or 5432),
            user=params.get("user") or "postgres",
            dbname=params.get("dbname") or "postgres",
            password=params.get("password"),
        )
    status = EmbeddedServer(settings.pgdata).status()
    if not status.running:
        raise WarehouseUnavailable(f"the warehouse is not running: `csc warehouse start` "
                                   f"(data folder {settings.pgdata})")
    return _embedded_target(settings, status)


def ensure_warehouse_running(settings: Settings | None = None) -> Target:
    """The explicit start: start the embedded server if it is stopped (a ``CSC_WAREHOUSE_URL`` server is only
    checked), then close the run records a process that is gone left open. Call it once, at the start of a command
    or a nightly run; never on an error path."""
    settings = settings or get_settings()
    if settings.warehouse_url is not None:
        target = resolve_target(settings)
    else:
        status = EmbeddedServer(settings.pgdata).start(settings.warehouse_tcp_port)
        target = _embedded_target(settings, status)
    closed = close_orphaned_runs(settings, target=target)
    if closed:
        log.warning("closed %d run record(s) left open by a process that is gone: %s", len(closed),
                    ", ".join(closed))
    return target


def _embedded_target(settings: Settings, status) -> Target:
    return Target(host=str(status.socket_dir), port=status.port or 5432, user="postgres",
                  dbname=settings.warehouse_database, embedded=True)


@contextmanager
def connect(
    settings: Settings | None = None,
    *,
    role: str | None = None,
    autocommit: bool = False,
    target: Target | None = None,
    application: str = "csc",
) -> Iterator[psycopg.Connection]:
    """A connection to the warehouse, acting as ``role`` (``SET ROLE``) when given.

    Pipeline steps act as their own role (``csc_loader``, ``csc_transformer``...) so that each step's privileges
    (``csc.warehouse.bootstrap``) are enforced whoever the configured login is.
    """
    target = target or resolve_target(settings)
    # csc.client tags the run records this connection opens (column default), so that the next start can tell a
    # record whose process is gone from one still being worked on.
    options = f"-c csc.client={client_tag()}"
    try:
        conn = psycopg.connect(target.conninfo(application_name=application, options=options),
                               autocommit=autocommit)
    except psycopg.OperationalError as exc:
        if _cannot_reach(exc, target, settings):
            where = "the warehouse is not running: `csc warehouse start`" if target.embedded else \
                f"the warehouse {target.display()} cannot be reached"
            raise WarehouseUnavailable(f"{where} ({str(exc).strip().splitlines()[-1]})") from exc
        raise
    with conn:
        if role:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
            if not autocommit:
                conn.commit()
        yield conn


# Run records a process opens and closes; (table, key, open condition, how to close it).
_OPEN_RECORDS = (
    ("dq_runs", "dq_run_id", "finished_at is null",
     "finished_at = now(), outcome = 'failed', detail = detail || jsonb_build_object('error', %s::text)"),
    ("dbt_builds", "build_id", "status = 'running'",
     "finished_at = now(), status = 'failed', message = %s"),
    ("pipeline_steps", "(run_id, step)", "status = 'running'",
     "finished_at = now(), status = 'failed', detail = detail || jsonb_build_object('error', %s::text)"),
)


def close_orphaned_runs(settings: Settings | None = None, *, target: Target | None = None) -> list[str]:
    """Mark ``failed`` the run records (``ops.dq_runs``, ``ops.dbt_builds``, ``ops.pipeline_steps`` and their
    ``ops.pipeline_runs``) still open although the process that opened them, on this machine, is gone.

    Each record carries its opener (``client``: ``<hostname>:<pid>``); records opened on another machine are left
    alone (their process cannot be seen from here). Returns what was closed, e.g. ``["ops.dq_runs 12"]``. Does
    nothing before ``csc init`` has created the tables.
    """
    from csc.warehouse.bootstrap import OWNER

    settings = settings or get_settings()
    host = socket.gethostname()
    closed: list[str] = []
    try:
        with connect(settings, role=OWNER, autocommit=True, target=target, application="csc start") as conn:
            ready = conn.execute(
                "select count(*) from information_schema.columns where table_schema = 'ops' "
                "and column_name = 'client' and table_name in ('dq_runs', 'dbt_builds', 'pipeline_steps')"
            ).fetchone()[0]
            if ready < 3:
                return closed
            for table, key, still_open, close in _OPEN_RECORDS:
                rows = conn.execute(f"select {key.strip('()')}, client from ops.{table} where {still_open} "  # noqa: S608
                                    "and client like %s", (host + ":%",)).fetchall()
                for *ident, client in rows:
                    pid = int(client.rsplit(":", 1)[1])
                    if _process_alive(pid):
                        continue
                    reason = f"interrupted: the process that ran it ({client}) is gone"
                    where = " and ".join(f"{k.strip('() ')} = %s" for k in key.strip("()").split(","))
                    conn.execute(f"update ops.{table} set {close} where {where}",  # noqa: S608
                                 (reason, *ident))
                    closed.append(f"ops.{table} {'/'.join(str(i) for i in ident)}")
                    if table == "pipeline_steps":
                        conn.execute(
                            "update ops.pipeline_runs set status = 'failed', finished_at = now(), detail = detail "
                            "|| jsonb_build_object('failed_task', %s::text, 'error', %s::text) "
                            "where run_id = %s and status = 'running'", (ident[1], reason, ident[0]))
                        closed.append(f"ops.pipeline_runs {ident[0]}")
    except psycopg.Error as exc:
        if is_warehouse_unavailable(exc) and not _not_initialised(exc):
            raise
        if not _not_initialised(exc):
            log.warning("could not close the run records left open: %s", str(exc).strip().splitlines()[0])
    return closed


def _not_initialised(exc: psycopg.Error) -> bool:
    """Before `csc init`: no warehouse database or no csc_owner role yet (nothing to close)."""
    text = str(exc)
    return "does not exist" in text and ("database" in text or "role" in text)


def _process_alive(pid: int) -> bool:
    from csc.warehouse.embedded import _process_alive as alive

    return alive(pid)
