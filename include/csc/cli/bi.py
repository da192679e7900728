"""``csc bi add-login|remove-login|list``: one warehouse login per BI tool or user, each in the ``bi_reader`` group
(or, for a region's analyst, in ``csc_regional_analyst``: the regional comparison mart only)."""

from __future__ import annotations

import click

from csc.cli.common import started_settings
from csc.settings import get_settings


@click.group()
def bi() -> None:
    """Logins of BI tools and users: read the bi schema, nothing else (members of the NOLOGIN bi_reader group)."""


@bi.command("add-login")
@click.argument("name")
@click.option("--connection-limit", type=click.IntRange(min=1, max=100), default=10, show_default=True,
              help="Most sessions this login may hold at once.")
@click.option("--analyst", is_flag=True,
              help="A named analyst: also reads the marts schema (exact dates, pseudonymised; member of csc_analyst).")
@click.option("--region", metavar="REGION",
              help="A region's analyst (config/las.yml `region:`): reads that region's rows of "
                   "marts.regional_indicator_comparison and no child-level table, not even bi (csc_regional_analyst).")
def add_login(name: str, connection_limit: int, analyst: bool, region: str | None) -> None:
    """Create login NAME for one BI tool or user, with a generated password (printed: where it is)."""
    from csc.las import la_registry
    from csc.warehouse.bootstrap import add_bi_login

    settings = get_settings()
    if region is not None:
        regions = la_registry(settings).regions()
        if region not in regions:
            raise click.ClickException(f"region {region!r} is not in {settings.las_config} (regions: "
                                       f"{', '.join(regions) or 'none'}; set `region:` on each of its LAs)")
    try:
        login = add_bi_login(started_settings(), name, connection_limit=connection_limit, analyst=analyst,
                             region=region)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if region is not None:
        groups = f"csc_regional_analyst, region {region}"
    else:
        groups = "bi_reader and csc_analyst" if analyst else "bi_reader"
    click.echo(f"created BI login {login.name} (member of {groups}, at most {connection_limit} connections)")
    click.echo(f"its password is in {login.password_file} (readable by you only): give it to that tool alone")
    if settings.embedded:
        click.echo("BI tools connect over TCP: `csc warehouse start --tcp PORT`, then 127.0.0.1:PORT, database "
                   f"{settings.warehouse_database}, "
                   + ("table marts.regional_indicator_comparison" if region else
                      "schema bi" + (" (and marts)" if analyst else "")))


@bi.command("remove-login")
@click.argument("name")
def remove_login(name: str) -> None:
    """Drop the BI login NAME and its password file."""
    from csc.warehouse.bootstrap import remove_bi_login

    if not remove_bi_login(started_settings(), name):
        raise click.ClickException(f"{name!r} is not a BI login (a member of bi_reader)")
    click.echo(f"removed BI login {name}")


@bi.command("list")
def list_logins() -> None:
    """The BI logins and their connection limits."""
    from csc.warehouse.bootstrap import bi_logins

    for name, limit in bi_logins(started_settings()):
        click.echo(f"{name}\tconnection limit {limit}")



def register(cli: click.Group) -> None:
    cli.add_command(bi)
