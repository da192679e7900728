"""``csc extract --la CODE``: tonight's SSD read from the LA's reporting database into its landing folder."""

from __future__ import annotations

import click

from csc.cli.exit_status import REFUSED, UNAVAILABLE


@click.command()
@click.option("--la", "la_code", required=True, metavar="CODE", help="The LA whose source database is read.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD", default=None,
              help="Extract date the snapshot is landed under. Default: yesterday in the LA's time zone (the night "
                   "the SSD rebuild describes).")
@click.option("--source", "source_url", metavar="URL", default=None, envvar="CSC_EXTRACT_SOURCE",
              help="Source database URL (postgresql://... or mssql+pymssql://...), over the LA's configured Airflow "
                   "connection. Prefer the connection: a URL with a password ends up in the shell's history.")
def extract(la_code: str, as_of, source_url: str | None) -> None:
    """Read the LA's SSD tables in one snapshot into <landing>/<la>/<date>/ (CSV + manifest.json, manifest last).

    Exit status: 0 extracted (or already extracted or loaded), 1 refused (tables missing, a table empty that was
    not, no source), 75 the source or the warehouse is unavailable or the rebuild kept interfering (try again).
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from csc.cli import ensure_warehouse
    from csc.extract import SourceRefused, SourceTransient, extract_source
    from csc.pipeline import local_authority
    from csc.settings import get_settings

    settings = get_settings()
    la = local_authority(la_code, settings)
    if as_of is None:
        from datetime import timedelta

        night = datetime.now(ZoneInfo(la.timezone)).date() - timedelta(days=1)
    else:
        night = as_of.date()
    ensure_warehouse(settings)
    click.echo(f"extracting LA {la_code} for {night}")
    try:
        result = extract_source(la_code, night, settings, url=source_url,
                                progress=lambda message: click.echo(message))
    except SourceRefused as refusal:
        click.echo(f"REFUSED ({refusal.reason}) {refusal}", err=True)
        raise SystemExit(REFUSED) from None
    except SourceTransient as transient:
        click.echo(f"UNAVAILABLE ({transient.reason}) {transient}: try again later", err=True)
        raise SystemExit(UNAVAILABLE) from None
    click.echo(f"{result.status}: {result.message}")
    if result.status == "extracted":
        click.echo(f"  {result.total_rows:,} rows in {result.seconds:.2f} s ({result.attempts} attempt(s)); "
                   f"load it with `csc load {result.folder}`")


def register(cli: click.Group) -> None:
    cli.add_command(extract)
