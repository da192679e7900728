"""``csc warehouse start|stop|status|url``, ``csc init`` and ``csc doctor``."""

from __future__ import annotations

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
    from csc.warehouse.embedded import EmbeddedServer

    settings = get_settings()
    if not settings.embedded:
        click.echo(f"existing server: {resolve_target(settings).display()}")
        _warn_exposed(settings)
        return
    st = EmbeddedServer(settings.pgdata).status()
    if not st.running:
        click.echo(f"embedded warehouse not running (data folder {settings.pgdata})")
        _warn_exposed(settings)
        raise SystemExit(NOTHING)
    click.echo(f"embedded warehouse running: pid {st.pid}, data {st.pgdata}, socket {st.socket_dir}"
               + (f", TCP 127.0.0.1:{st.port}" if st.tcp else ", no TCP"))
    _warn_exposed(settings)


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
