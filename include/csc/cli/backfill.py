"""``csc backfill``: an LA's historical extracts through the nightly DAG, in date order."""

from __future__ import annotations

import sys

import click

from csc.cli.exit_status import REFUSED
from csc.settings import get_settings


@click.command()
@click.option("--la", "la_code", required=True, metavar="CODE", help="LA code (config/las.yml).")
@click.option("--from", "first", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="First extract date.")
@click.option("--to", "last", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Last extract date (inclusive).")
@click.option("--rerun", is_flag=True,
              help="Also run nights already done (every step finds its work done; nothing is loaded twice).")
def backfill(la_code: str, first, last, rerun: bool) -> None:
    """Run the nightly DAG for every extract date from --from to --to, oldest first.

    Nights already done are skipped; the first failure stops the backfill (exit code 1) with what failed.
    Extracts must be in the LA's landing folder (<landing>/<la>/<date>/).
    """
    from csc.cli import ensure_warehouse
    from csc.orchestration.backfill import backfill as run

    settings = get_settings()
    ensure_warehouse(settings)
    try:
        result = run(settings, la_code, first.date(), last.date(), echo=click.echo, rerun=rerun)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from None
    ran = [n for n in result.nights if n.status == "success"]
    skipped = [n for n in result.nights if n.status == "skipped"]
    if not result.ok:
        failed = next(n for n in result.nights if n.status == "failed")
        click.echo(f"backfill of LA {la_code} stopped at {failed.extract_date}: {len(ran)} night(s) run, "
                   f"{len(skipped)} skipped", err=True)
        sys.exit(REFUSED)
    click.echo(f"backfill of LA {la_code} done: {len(ran)} night(s) run, {len(skipped)} already done")


def register(cli: click.Group) -> None:
    cli.add_command(backfill)
