"""Who read the casework lists: PostgreSQL's statement log of every casework login (``csc casework reads``).

The casework lists are the one identifiable thing people read from the warehouse, so every statement of a casework
login is logged by the server itself:

* every LOGIN role that is a member of ``csc_casework`` (directly or through a team role) gets
  ``ALTER ROLE … SET log_statement = 'all'``. ``log_statement`` may be changed only by a superuser (or a role
  granted SET on it): the login cannot turn its own logging off. ``csc casework grant`` turns it on for the login
  it creates or maps; ``csc casework reads`` turns it on for any member added since (e.g. directly in PostgreSQL)
  and says so;
* each log line must name the user and the database: on the embedded server ``csc`` sets ``log_line_prefix`` to
  :data:`LOG_LINE_PREFIX` (``ALTER SYSTEM``, then a reload). On an existing server the DBA configures the prefix
  and keeps the server log (docs/DATA_PROTECTION.md, "Read audit"); ``csc casework reads --log FILE`` reads it.

The statements stay in the server's log (owner-only, in the data folder of the embedded server); ``csc casework
reads`` reads them back: when, which login, which database, which casework lists, and the statement.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.bootstrap import CASEWORK
from csc.warehouse.connection import connect, resolve_target

# When, which process, then (for sessions only: %q) user@database.
LOG_LINE_PREFIX = "%m [%p] %q%u@%d "

_LINE = re.compile(r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: \S+)?) \[(?P<pid>\d+)\] "
                   r"(?:(?P<user>[^@\s]+)@(?P<db>\S+) )?(?P<level>[A-Z0-9]+):  (?P<message>.*)$")
_STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (?P<sql>.*)$", re.S)
_CASEWORK_RELATION = re.compile(r'\bcasework\s*\.\s*"?([A-Za-z_][A-Za-z0-9_]*)"?', re.I)


@dataclass
class AuditSetup:
    turned_on: list[str] = field(default_factory=list)  # logins whose statements are now logged
    audited: list[str] = field(default_factory=list)  # every casework login that is logged
    warnings: list[str] = field(default_factory=list)  # what could not be done (for the DBA)


@dataclass(frozen=True)
class Read:
    at: str
    login: str
    database: str
    relations: tuple[str, ...]
    statement: str


def casework_logins(conn: psycopg.Connection) -> list[str]:
    """Every LOGIN role that is a member, directly or not, of csc_casework (superusers left out)."""
    return [r[0] for r in conn.execute(
        "select rolname from pg_roles where rolcanlogin and not rolsuper "
        "and pg_has_role(oid, %s, 'MEMBER') order by 1", (CASEWORK,))]


def _logged(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute(
        "select r.rolname from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
        "where s.setdatabase = 0 and 'log_statement=all' = any(s.setconfig)")}


def ensure_read_audit(settings: Settings, conn: psycopg.Connection | None = None) -> AuditSetup:
    """Log every statement of every casework login (see the module docstring). Needs the administrative login."""
    if conn is None:
        with connect(settings, application="csc casework", autocommit=True) as own:
            return ensure_read_audit(settings, own)
    setup = AuditSetup()
    logged = _logged(conn)
    for login in casework_logins(conn):
        if login not in logged:
            try:
                conn.execute(sql.SQL("alter role {} set log_statement = 'all'").format(sql.Identifier(login)))
                setup.turned_on.append(login)
            except psycopg.errors.InsufficientPrivilege:
                setup.warnings.append(f"statements of {login} are not logged: ask the administrator to run "
                                      f"ALTER ROLE {login} SET log_statement = 'all';")
                continue
        setup.audited.append(login)
    prefix = conn.execute("select current_setting('log_line_prefix')").fetchone()[0]
    if "%u" not in prefix or "%d" not in prefix:
        if resolve_target(settings).embedded:
            if not _set_prefix(settings, conn):
                setup.warnings.append(
                    f"the embedded server did not apply log_line_prefix = '{LOG_LINE_PREFIX}' (see its log, "
                    f"{settings.pgdata / 'log'}): reads are logged without their login until it does")
        else:
            setup.warnings.append(
                f"the server's log_line_prefix ({prefix!r}) names no user (%u) or database (%d): ask the DBA to set "
                f"log_line_prefix = '{LOG_LINE_PREFIX}' (docs/DATA_PROTECTION.md, Read audit)")
    return setup


def _set_prefix(settings: Settings, conn: psycopg.Connection) -> bool:
    """The embedded server's log lines name the user and database (ALTER SYSTEM; a reload applies it). False if
    the server has not applied it within a few seconds (a reload fails when it cannot read its configuration)."""
    autocommit = conn.autocommit
    if not autocommit:
        conn.commit()
        conn.autocommit = True
    try:
        conn.execute(sql.SQL("alter system set log_line_prefix = {}").format(sql.Literal(LOG_LINE_PREFIX)))
        conn.execute("select pg_reload_conf()")
    finally:
        conn.autocommit = autocommit
    # The postmaster applies the reload asynchronously: new sessions must start with the new prefix.
    for _ in range(100):
        with connect(settings, application="csc casework") as fresh:
            if fresh.execute("select current_setting('log_line_prefix')").fetchone()[0] == LOG_LINE_PREFIX:
                return True
        time.sleep(0.05)
    return False


def server_logs(settings: Settings, conn: psycopg.Connection) -> list[Path]:
    """Where the server writes its log: the logging collector's file(s), else the embedded server's ``log``."""
    current = conn.execute("select pg_current_logfile()").fetchone()[0]
    if current:
        path = Path(current)
        if not path.is_absolute():
            data = Path(conn.execute("select current_setting('data_directory')").fetchone()[0])
            path = data / path
        return sorted(p for p in path.parent.iterdir() if p.is_file()) if path.parent.is_dir() else [path]
    if resolve_target(settings).embedded:
        return [settings.pgdata / "log"]
    return []


def _entries(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """Log entries, their continuation lines (a multi-line statement) joined back."""
    entry: dict[str, str] | None = None
    for line in lines:
        match = _LINE.match(line.rstrip("\n"))
        if match:
            if entry is not None:
                yield entry
            entry = match.groupdict()
        elif entry is not None and line.startswith("\t"):
            entry["message"] += "\n" + line.rstrip("\n")[1:]
    if entry is not None:
        yield entry


def parse_reads(lines: Iterable[str], logins: set[str]) -> list[Read]:
    """The statements of ``logins`` in a server log written with a prefix naming user and database."""
    reads = []
    for entry in _entries(lines):
        if entry["level"] != "LOG" or entry["user"] not in logins:
            continue
        statement = _STATEMENT.match(entry["message"])
        if not statement:
            continue
        text = statement.group("sql").strip()
        relations = tuple(dict.fromkeys(f"casework.{m.lower()}" for m in _CASEWORK_RELATION.findall(text)))
        reads.append(Read(entry["at"], entry["user"], entry["db"] or "", relations, text))
    return reads


def casework_reads(settings: Settings, *, logs: list[Path] | None = None, login: str | None = None,
                   since: str | None = None) -> tuple[list[Read], AuditSetup, list[Path]]:
    """Every logged statement of a casework login (oldest first), after making sure every login is logged."""
    with connect(settings, application="csc casework", autocommit=True) as conn:
        setup = ensure_read_audit(settings, conn)
        logins = set(casework_logins(conn)) | {r[0] for r in conn.execute(
            "select role_name from ops.casework_team_access")}
        logs = logs or server_logs(settings, conn)
    if login is not None:
        logins = {login}  # also a login dropped since
    reads: list[Read] = []
    for path in logs:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                reads += parse_reads(handle, logins)
        except FileNotFoundError:
            setup.warnings.append(f"server log {path} not found")
    if since:
        reads = [r for r in reads if r.at >= since]
    return reads, setup, logs
