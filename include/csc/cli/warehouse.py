"""``csc warehouse start|stop|status|url|backup|restore|upgrade``, ``csc init`` and ``csc doctor``."""

from __future__ import annotations

from pathlib import Path

import click

from csc.cli.exit_status import NOTHING, REFUSED
from csc.settings import get_settings


@click.group()
def warehouse() -> None:
    """The embedded PostgreSQL warehouse (or the one CSC_WAREHOUSE_URL points at)."""


@warehouse.command()
@click.option("--tcp", "tcp_port", type=int, default=None, metavar="PORT",
              help="Also listen on 127.0.0.1:PORT with password authentication (for BI tools).")
def start(tcp_port: int | None) -> None:
    """Start the embedded server (reused if already running)."""
    from csc.warehouse.embedded import EmbeddedServer

    settings = get_settings()
    if not settings.embedded:
        raise click.ClickException("CSC_WAREHOUSE_URL is set: the warehouse is an existing server; nothing to start.")
    port = tcp_port if tcp_port is not None else settings.warehouse_tcp_port
    status = EmbeddedServer(settings.pgdata).start(port)
    from csc.warehouse.connection import close_orphaned_runs

    for record in close_orphaned_runs(settings):
        click.echo(f"closed {record} as failed: left open by a process that is gone")
    click.echo(f"warehouse running (pid {status.pid}), socket {status.socket_dir}"
               + (f", TCP 127.0.0.1:{status.port} (password auth)" if status.tcp else ""))


@warehouse.command()
def stop() -> None:
    """Stop the embedded server and wait until its processes are gone."""
    from csc.warehouse.embedded import EmbeddedServer

    settings = get_settings()
    if not settings.embedded:
        raise click.ClickException("CSC_WAREHOUSE_URL is set: the warehouse is an existing server; nothing to stop.")
    stopped = EmbeddedServer(settings.pgdata).stop()
    click.echo("warehouse stopped" if stopped else "warehouse was not running")


@warehouse.command()
def status() -> None:
    """Whether the warehouse is running and where."""
    from csc.warehouse.connection import resolve_target
    from csc.warehouse.embedded import EmbeddedServer, major_of, upgrade_hint

    settings = get_settings()
    if not settings.embedded:
        target = resolve_target(settings)
        click.echo(f"existing server: {target.display()}")
        click.echo(f"server version: {_server_version(target)}")
        _warn_exposed(settings)
        return
    server = EmbeddedServer(settings.pgdata)
    st = server.status()
    folder = server.folder_major
    if folder is not None and folder != str(major_of(server.version)):

        click.echo(f"warning: {upgrade_hint(settings.pgdata, folder)}", err=True)
    if not st.running:
        click.echo(f"embedded warehouse not running (data folder {settings.pgdata}; binaries PostgreSQL "
                   f"{server.version})")
        _warn_exposed(settings)
        raise SystemExit(NOTHING)
    click.echo(f"embedded warehouse running: pid {st.pid}, data {st.pgdata}, socket {st.socket_dir}"
               + (f", TCP 127.0.0.1:{st.port}" if st.tcp else ", no TCP"))
    from csc.warehouse.connection import _embedded_target

    click.echo(f"server version: {_server_version(_embedded_target(settings, st).for_database('postgres'))}")
    _warn_exposed(settings)


def _server_version(target) -> str:
    """``PostgreSQL 18.6``: what the running server itself reports (``server_version``)."""
    import psycopg

    try:
        with psycopg.connect(target.conninfo(application_name="csc status", connect_timeout="10"),
                             autocommit=True) as conn:
            return "PostgreSQL " + conn.execute("show server_version").fetchone()[0].split()[0]
    except psycopg.Error as exc:
        return f"unknown (cannot connect: {str(exc).strip().splitlines()[-1]})"


@warehouse.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The backup file (default: CSC_HOME/backups/<database>-<UTC time>.dump). Never overwritten.")
def backup(out: Path | None) -> None:
    """Back up the warehouse database to one file (pg_dump custom format, owner-only).

    Holds every schema, table, row, policy, grant and owner of the warehouse database; not server roles, BI logins,
    Airflow's database or the files under CSC_HOME. The file holds personal data: keep it like the warehouse.
    """
    from csc.cli import ensure_warehouse
    from csc.warehouse.backup import BackupError, default_backup_path
    from csc.warehouse.backup import backup as run_backup

    settings = get_settings()
    target = ensure_warehouse(settings)
    path = out or default_backup_path(settings, target.dbname)
    click.echo(f"backing up database {target.dbname} on {target.display()} to {path}")
    try:
        result = run_backup(target, path, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written: {result.path} ({result.bytes:,} bytes, {result.tables} tables, views or sequences, "
               f"{result.seconds:.1f} s; mode 0600). Restore with `csc warehouse restore {result.path}`.")


@warehouse.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Drop the warehouse database (all its data) and replace it when it is not empty.")
def restore(file: Path, force: bool) -> None:
    """Restore a `csc warehouse backup` FILE into the warehouse database, then run `csc init`.

    The database must be empty or missing (else refused, exit 1, unless --force). The restore is one transaction:
    on any error nothing of it stays. Server roles are not in a backup: `csc init` recreates the pipeline's, BI
    logins are added again with `csc bi add-login`.
    """
    from csc.cli import ensure_warehouse
    from csc.warehouse.backup import BackupError
    from csc.warehouse.backup import restore as run_restore

    settings = get_settings()
    target = ensure_warehouse(settings)
    try:
        result = run_restore(settings, target, file, force=force, echo=click.echo)
    except BackupError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(REFUSED) from None
    click.echo(f"restored {result.path} into database {result.database}"
               + (" (replacing the previous one)" if result.replaced else "")
               + f": {result.tables} tables, views or sequences, {result.seconds:.1f} s")


@warehouse.command()
@click.option("--old-bindir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="bin folder of PostgreSQL binaries of the data folder's old major version (default: pgserver "
                   "0.1.4's for a 16 folder, else /usr/lib/postgresql/<major>/bin).")
def upgrade(old_bindir: Path | None) -> None:
    """Upgrade the embedded data folder made by an older PostgreSQL (e.g. 16.2) to the current one.

    Dumps every database and role with the current pg_dump from the old server (run by binaries of its own
    version), restores them into a new folder, checks every table's row count, then swaps the folders. The old
    folder is kept aside (pgdata.pg<major>-<time>) until you delete it. The server is stopped afterwards: start it
    with `csc warehouse start`.
    """
    from csc.warehouse.upgrade import UpgradeError
    from csc.warehouse.upgrade import upgrade as run_upgrade

    settings = get_settings()
    if not settings.embedded:
        raise click.ClickException("CSC_WAREHOUSE_URL is set: the warehouse is an existing server; upgrade it the "
                                   "way its administrator upgrades PostgreSQL.")
    try:
        result = run_upgrade(settings.pgdata, old_bindir=old_bindir, echo=click.echo)
    except UpgradeError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(REFUSED) from None
    click.echo(f"upgraded {result.pgdata} from PostgreSQL {result.old_version} to {result.new_version} "
               f"({len(result.databases)} databases: {', '.join(result.databases)}; {result.seconds:.1f} s).")
    click.echo(f"The old data folder is kept at {result.old_folder}: delete it once the warehouse works "
               "(`csc warehouse start`, `csc init`).")


def _warn_exposed(settings, limit: int = 20) -> int:
    """Warn (stderr) about files under CSC_HOME that others can read; return how many."""
    from csc.privacy import exposed_files

    exposed = exposed_files(settings)
    if exposed:
        click.echo(f"warning: {len(exposed)} file(s) or folder(s) under {settings.home} can be read by other users "
                   "(everything here should be owner-only; fix with chmod -R go-rwx, or see `csc doctor`):", err=True)
        for item in exposed[:limit]:
            click.echo(f"  {item}", err=True)
        if len(exposed) > limit:
            click.echo(f"  ... and {len(exposed) - limit} more", err=True)
    return len(exposed)


@warehouse.command()
@click.option("--sqlalchemy", is_flag=True, help="Print an SQLAlchemy URL instead of a libpq connection string.")
def url(sqlalchemy: bool) -> None:
    """Print how to connect to the warehouse database (without passwords)."""
    from csc.warehouse.connection import resolve_target

    target = resolve_target(get_settings())
    if sqlalchemy:
        click.echo(target.sqlalchemy_url() if not target.password else target.display())
    else:
        click.echo(target.conninfo() if not target.password else target.display())


@click.command()
def init() -> None:
    """Create (or bring up to date) databases, roles, schemas, grants, ops and raw tables. Idempotent."""
    from csc.cli import ensure_warehouse
    from csc.warehouse.bootstrap import init_warehouse

    settings = get_settings()
    ensure_warehouse(settings)
    report = init_warehouse(settings)
    click.echo(f"warehouse initialised: {report.target}")
    if report.created_databases:
        click.echo(f"  created databases: {', '.join(report.created_databases)}")
    if report.created_roles:
        click.echo(f"  created roles: {', '.join(report.created_roles)}")
    if report.applied_migrations:
        click.echo(f"  applied migrations: {', '.join(report.applied_migrations)}")
    click.echo(f"  raw tables: {report.raw_tables}")
    if report.created_secrets:
        click.echo(f"  generated secrets: {', '.join(report.created_secrets)} (in {get_settings().secrets_dir}, "
                   "owner-only)")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command()
def doctor() -> None:
    """Check the local state's privacy: warn about files under CSC_HOME others can read (exit 1 if any)."""
    settings = get_settings()
    count = _warn_exposed(settings, limit=200)
    if count:
        raise SystemExit(REFUSED)
    click.echo(f"ok: everything under {settings.home} is readable by its owner only"
               + (f" (returns shared with group {settings.shared_group})" if settings.shared_group else ""))


def register(cli: click.Group) -> None:
    cli.add_command(warehouse)
    cli.add_command(init)
    cli.add_command(doctor)
