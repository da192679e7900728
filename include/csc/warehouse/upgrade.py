"""``csc warehouse upgrade``: move an embedded data folder made by an older PostgreSQL major to the current one.

A data folder's on-disk format belongs to one major version: the PostgreSQL 18 binaries cannot open the folder
the PostgreSQL 16.2 of pgserver 0.1.4 made. The upgrade is a dump and restore, the method PostgreSQL documents for
any major upgrade:

1. the old folder is started with binaries of its own major (``--old-bindir``, else pgserver 0.1.4's when the
   ``upgrade-from-16`` dependency group is installed, else Debian's ``/usr/lib/postgresql/<major>/bin``), with the
   same private socket and authentication as ever, no TCP;
2. the current binaries' ``pg_dumpall --globals-only`` (roles, their password hashes, memberships) and ``pg_dump``
   of every database read it (a newer pg_dump reads an older server; the reverse is not supported);
3. a new folder is initialised beside it by the current binaries, started, and everything restored into it
   (``pg_restore --exit-on-error``): any error stops the upgrade with the old folder untouched and in place;
4. both servers stop; the old folder is renamed ``pgdata.pg<major>-<timestamp>`` (kept aside, never deleted by
   csc) and the new one takes the name ``pgdata``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

import psycopg

from csc.warehouse.backup import BackupError, run_client
from csc.warehouse.connection import Target
from csc.warehouse.embedded import (
    PG_BIN,
    SERVICE_USER,
    EmbeddedServer,
    EmbeddedServerError,
    _running_as_root,
    binaries_version,
    major_of,
)

Echo = Callable[[str], None]


class UpgradeError(EmbeddedServerError):
    pass


@dataclass(frozen=True)
class UpgradeResult:
    pgdata: Path
    old_folder: Path
    old_version: str
    new_version: str
    databases: list[str]
    seconds: float


def find_old_bindir(major: str, old_bindir: Path | None = None) -> Path:
    """Binaries able to run a data folder of ``major``: the given folder, pgserver's, or Debian's."""
    candidates: list[Path] = []
    if old_bindir is not None:
        candidates.append(Path(old_bindir))
    else:
        spec = find_spec("pgserver")
        if spec is not None and spec.submodule_search_locations:
            candidates.append(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin")
        candidates.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    tried = []
    for bindir in candidates:
        if not (bindir / "postgres").exists():
            tried.append(f"{bindir} (no postgres binary)")
            continue
        version = binaries_version(bindir)
        if str(major_of(version)) == major:
            return bindir
        tried.append(f"{bindir} (PostgreSQL {version})")
    raise UpgradeError(
        f"No PostgreSQL {major} binaries to read the old data folder with; tried: {'; '.join(tried)}. "
        + ("Install the `upgrade-from-16` dependency group (`uv sync --group upgrade-from-16`, part of `make setup`) "
           if major == "16" else "")
        + "or pass --old-bindir with the bin folder of a PostgreSQL "
        f"{major} installation (e.g. Debian's postgresql-{major}: /usr/lib/postgresql/{major}/bin).")


def _target(status) -> Target:
    return Target(host=str(status.socket_dir), port=status.port or 5432, user="postgres", dbname="postgres")


def _databases(target: Target) -> list[str]:
    with psycopg.connect(target.conninfo(application_name="csc upgrade"), autocommit=True) as conn:
        return [row[0] for row in conn.execute(
            "select datname from pg_database where datallowconn and not datistemplate order by datname")]


def _globals_sql(old: Target, workdir: Path) -> Path:
    """Roles (with their password hashes) and memberships, less the bootstrap superuser the new folder has."""
    raw = workdir / "globals.sql"
    run_client("pg_dumpall", ["--globals-only", "--no-tablespaces", "--file", str(raw), "--dbname",
                              old.conninfo(application_name="csc upgrade")], old)
    lines = [line for line in raw.read_text().splitlines() if line.strip() != "CREATE ROLE postgres;"]
    raw.write_text("\n".join(lines) + "\n")
    return raw


def upgrade(pgdata: Path, *, old_bindir: Path | None = None, echo: Echo = print) -> UpgradeResult:
    started = time.monotonic()
    pgdata = Path(pgdata).expanduser().resolve()
    current = EmbeddedServer(pgdata)
    folder_major = current.folder_major
    new_version = binaries_version(PG_BIN)
    if folder_major is None:
        raise UpgradeError(f"{pgdata} is not a PostgreSQL data folder: nothing to upgrade")
    if folder_major == str(major_of(new_version)):
        raise UpgradeError(f"{pgdata} is already a PostgreSQL {folder_major} data folder (the binaries are "
                           f"{new_version}): nothing to upgrade")
    bindir = find_old_bindir(folder_major, old_bindir)
    old_server = EmbeddedServer(pgdata, bindir=bindir)
    old_version = old_server.version
    echo(f"upgrading {pgdata}: PostgreSQL {old_version} -> {new_version} (old binaries: {bindir})")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    new_pgdata = pgdata.with_name(f"{pgdata.name}.new-{major_of(new_version)}")
    aside = pgdata.with_name(f"{pgdata.name}.pg{folder_major}-{stamp}")
    if new_pgdata.exists():
        echo(f"removing {new_pgdata}, left by an upgrade that did not finish")
        shutil.rmtree(new_pgdata)
    new_server = EmbeddedServer(new_pgdata)
    # The dump lives beside the data folder (owner-only), not in /tmp: it holds every row of the warehouse.
    workdir = Path(tempfile.mkdtemp(prefix=".upgrade-", dir=pgdata.parent))
    if _running_as_root():  # the new server's service user reads nothing here; the client tools run as us
        os.chmod(workdir, 0o700)
    try:
        echo(f"starting the old server (PostgreSQL {old_version})")
        old = _target(old_server.start())
        databases = _databases(old)
        echo(f"initialising {new_pgdata} (PostgreSQL {new_version})")
        new = _target(new_server.start())
        echo("copying roles and their password hashes")
        globals_sql = _globals_sql(old, workdir)
        run_client("psql", ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--file", str(globals_sql),
                            "--dbname", new.conninfo(application_name="csc upgrade")], new)
        for dbname in databases:
            dump = workdir / f"{dbname}.dump"
            echo(f"dumping database {dbname}")
            run_client("pg_dump", ["--format=custom", "--file", str(dump), "--dbname",
                                   old.for_database(dbname).conninfo(application_name="csc upgrade")], old)
            echo(f"restoring database {dbname} ({dump.stat().st_size:,} bytes)")
            # --create makes the database with its owner and settings; "postgres" exists already in the new folder.
            args = ["--exit-on-error", "--no-password", "--dbname"]
            if dbname == "postgres":
                args += [new.conninfo(application_name="csc upgrade")]
            else:
                args = ["--create", *args, new.conninfo(application_name="csc upgrade")]
            run_client("pg_restore", [*args, str(dump)], new)
        _check_same_tables(old, new, databases)
    except (BackupError, EmbeddedServerError, psycopg.Error, OSError, subprocess.SubprocessError) as exc:
        new_server.stop()
        old_server.stop()
        shutil.rmtree(new_pgdata, ignore_errors=True)
        raise UpgradeError(f"The upgrade failed; {pgdata} is untouched and still the warehouse (PostgreSQL "
                           f"{old_version}).\n{exc}") from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    echo("stopping both servers")
    new_server.stop()
    old_server.stop()
    pgdata.rename(aside)
    new_pgdata.rename(pgdata)
    if _running_as_root():
        shutil.chown(pgdata, SERVICE_USER, SERVICE_USER)
    return UpgradeResult(pgdata=pgdata, old_folder=aside, old_version=old_version, new_version=new_version,
                         databases=databases, seconds=time.monotonic() - started)


def _check_same_tables(old: Target, new: Target, databases: list[str]) -> None:
    """Every table of every database arrived, with as many rows (exact counts: the warehouse is small)."""
    query = ("select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
             "where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') "
             "and n.nspname not like 'pg_toast%' order by 1")
    for dbname in databases:
        counts = []
        for target in (old, new):
            with psycopg.connect(target.for_database(dbname).conninfo(application_name="csc upgrade"),
                                 autocommit=True) as conn:
                tables = [row[0] for row in conn.execute(query)]
                counts.append({t: conn.execute(f"select count(*) from {_quote(t)}").fetchone()[0] for t in tables})
        if counts[0] != counts[1]:
            diff = sorted(set(counts[0].items()) ^ set(counts[1].items()))[:10]
            raise UpgradeError(f"database {dbname}: the restored tables differ from the old ones: {diff}")


def _quote(qualified: str) -> str:
    schema, name = qualified.split(".", 1)
    return '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'
