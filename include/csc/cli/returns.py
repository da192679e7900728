"""``csc return``: the quarterly return and improvement-board report of one LA."""

from __future__ import annotations

import click

from csc.settings import get_settings


@click.command("return")
@click.option("--la", "la_code", required=True, metavar="CODE", help="LA code, e.g. 999.")
@click.option("--quarter", required=True, metavar="YYYYQn",
              help="Financial-year quarter named by the year the financial year starts: 2025Q1 = April-June 2025, "
                   "2025Q4 = January-March 2026.")
@click.option("--suppress-small", type=click.IntRange(min=1), is_flag=False, flag_value=5, default=None,
              metavar="[N]", help="Show counts from 1 to below N (default 5), and the rates built on them, as [c], "
                                  "for sharing outside the LA.")
def return_(la_code: str, quarter: str, suppress_small: int | None) -> None:
    """Write the quarterly return (XLSX, CSV) and the report (HTML, PDF) from the published marts; print the paths."""
    from csc.cli import ensure_warehouse
    from csc.returns import FinancialQuarter, ReturnError, write_return

    try:
        parsed = FinancialQuarter.parse(quarter)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quarter") from None
    try:
        settings = get_settings()
        ensure_warehouse(settings)
        files = write_return(la_code, parsed, settings, suppress_small=suppress_small)
    except ReturnError as exc:
        raise click.ClickException(str(exc)) from None
    for path in files.paths:
        click.echo(str(path))


def register(cli: click.Group) -> None:
    cli.add_command(return_)
