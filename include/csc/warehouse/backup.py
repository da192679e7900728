"""``csc warehouse backup`` and ``restore``: the warehouse database to one file (pg_dump's custom format) and back.

The client tools are the embedded package's own (PostgreSQL 18 ``pg_dump`` reads any server from 9.2 on), run as
the OS user running ``csc`` (never as the server's service user), so they work against the embedded server (socket,
peer authentication) and against a ``CSC_WAREHOUSE_URL`` server alike. A password, when the URL has one, goes to the
tools in ``PGPASSWORD``, never on their command line.

What a backup holds: every schema, table, row, policy, grant and owner of the warehouse database. Not in it: server
roles and their passwords (``csc init`` recreates the pipeline's roles; BI logins are added again with
``csc bi add-login``), Airflow's metadata database, and the files under CSC_HOME (secrets, landing, returns).
The file holds personal data: it is written owner-only (mode 0600) and must be kept like the warehouse itself.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target
from csc.warehouse.embedded import PG_BIN

Echo = Callable[[str], None]

# Relations in these schemas are PostgreSQL's own: a database holding nothing else is "empty".
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    tables: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    database: str
    tables: int
    seconds: float
    replaced: bool


def client_env(target: Target) -> dict[str, str]:
    """The environment of a client tool: no inherited PG* variables, the password (if any) in PGPASSWORD."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if target.password:
        env["PGPASSWORD"] = target.password
    return env


def client_conninfo(target: Target) -> str:
    """The connection string for a client tool's ``-d``: everything but the password."""
    from dataclasses import replace

    return replace(target, password=None).conninfo(application_name="csc backup")


def default_backup_path(settings: Settings, dbname: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.home / "backups" / f"{dbname}-{stamp}.dump"


def run_client(tool: str, args: list[str], target: Target, *, echo: Echo | None = None, progress: str | None = None,
               bindir: Path = PG_BIN) -> str:
    """Run a PostgreSQL client tool; stream its ``--verbose`` lines that contain ``progress`` to ``echo``.

    Returns the tool's whole stderr; raises :class:`BackupError` with its last lines when it fails.
    """
    command = [str(bindir / tool), *args]
    lines: list[str] = []
    with subprocess.Popen(command, env=client_env(target), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, cwd="/") as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip("\n")
            lines.append(line)
            if echo is not None and progress is not None and progress in line:
                echo("  " + line.split(": ", 1)[-1])
    if proc.returncode != 0:
        errors = [line for line in lines if "error" in line.lower()] or lines
        raise BackupError(f"{tool} failed (exit {proc.returncode}):\n" + "\n".join(errors[-15:]))
    return "\n".join(lines)


def count_tables(target: Target) -> int:
    """Tables, views, materialised views and sequences outside PostgreSQL's own schemas."""
    with psycopg.connect(target.conninfo(application_name="csc backup"), autocommit=True) as conn:
        return conn.execute(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and n.nspname <> all(%s) "
            "and n.nspname not like 'pg_temp%%' and n.nspname not like 'pg_toast_temp%%'",
            (list(_SYSTEM_SCHEMAS),)).fetchone()[0]


def backup(target: Target, out: Path, *, echo: Echo | None = None) -> BackupResult:
    """Dump the target's database to ``out`` (custom format, owner-only). Refuses to overwrite a file."""
    out = Path(out).expanduser().absolute()
    if out.exists():
        raise BackupError(f"{out} already exists: choose another --out (a backup never overwrites a file)")
    out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Create the file owner-only first: pg_dump then writes into it, whatever the umask.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    os.close(fd)
    started = time.monotonic()
    tables = count_tables(target)
    try:
        run_client("pg_dump", ["--format=custom", "--verbose", "--file", str(out), "--dbname",
                               client_conninfo(target)], target, echo=echo, progress="dumping contents of table")
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    out.chmod(0o600)
    return BackupResult(path=out, bytes=out.stat().st_size, tables=tables, seconds=time.monotonic() - started)


def database_exists(admin: Target, dbname: str) -> bool:
    with psycopg.connect(admin.conninfo(application_name="csc restore"), autocommit=True) as conn:
        return conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone() is not None


def restore(settings: Settings, target: Target, path: Path, *, force: bool, echo: Echo | None = None
            ) -> RestoreResult:
    """Restore a ``backup`` file into the target's database.

    The database must be missing or empty (no table, view or sequence outside PostgreSQL's own schemas); with
    ``force`` an existing one is dropped (ending its sessions) and created again first. The pipeline's roles are
    created before the restore (owners and grants refer to them); the restore is one transaction (``pg_restore
    --single-transaction --exit-on-error``): on any error nothing of it stays. ``csc init`` runs afterwards, to bring
    a backup made by an older csc up to date (migrations, grants).
    """
    from csc.warehouse.bootstrap import InitReport, _ensure_roles, init_warehouse

    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    with path.open("rb") as head:
        if head.read(5) != b"PGDMP":
            raise BackupError(f"{path} is not a backup made by `csc warehouse backup` (pg_dump custom format)")
    started = time.monotonic()
    admin = target.for_database("postgres")
    dbname = target.dbname
    replaced = False
    if database_exists(admin, dbname):
        existing = count_tables(target)
        if existing and not force:
            raise BackupError(
                f"The warehouse database {dbname!r} on {target.display()} is not empty ({existing} tables, views or "
                "sequences): restoring would mix two warehouses. Restore into an empty warehouse, or add --force to "
                f"drop database {dbname!r} (all its data) and replace it with the backup.")
        if existing:
            if echo:
                echo(f"dropping database {dbname} ({existing} tables, views or sequences), as --force asks")
            with psycopg.connect(admin.conninfo(application_name="csc restore"), autocommit=True) as conn:
                conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(dbname)))
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
            replaced = True
    else:
        with psycopg.connect(admin.conninfo(application_name="csc restore"), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    with psycopg.connect(target.conninfo(application_name="csc restore")) as conn:
        _ensure_roles(conn, settings, InitReport(target=target.display()))
    if echo:
        echo(f"restoring {path} into database {dbname} (one transaction)")
    try:
        run_client("pg_restore", ["--verbose", "--single-transaction", "--exit-on-error", "--dbname",
                                  client_conninfo(target), str(path)], target, echo=echo,
                   progress="processing data for table")
    except BackupError as exc:
        if "role" in str(exc) and "does not exist" in str(exc):
            raise BackupError(f"{exc}\nThe backup refers to a server role this server does not have: create it "
                              "(for a BI login: `csc bi add-login NAME`) and restore again. Nothing was "
                              "restored.") from None
        raise
    if echo:
        echo("bringing the restored warehouse up to date (csc init)")
    init_warehouse(settings)
    return RestoreResult(path=path, database=dbname, tables=count_tables(target),
                         seconds=time.monotonic() - started, replaced=replaced)
