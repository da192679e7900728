"""``csc import 903|cin|annex-a``: an LA's statutory return files into its import set, loaded as one batch."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

import click

from csc.cli.exit_status import REFUSED, REPLACED
from csc.settings import get_settings

# The parser of each kind of return: module and function, imported when used (the CLI starts without lxml or the
# code lists loaded).
PARSERS = {
    "903": ("csc.imports.ssda903", "parse_903"),
    "cin": ("csc.imports.cin", "parse_cin"),
    "annex-a": ("csc.imports.annex_a", "parse_annex_a"),
}


def _year(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from csc.statutory.years import CollectionYear

    try:
        return CollectionYear.parse(value).name
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


la_option = click.option("--la", "la_code", required=True, metavar="CODE", help="The LA whose return it is, e.g. 901.")
year_option = click.option("--year", required=True, callback=_year, metavar="YYYY-YY",
                           help="Collection year, e.g. 2024-25.")


@click.group("import")
def import_returns() -> None:
    """Statutory return files (SSDA903, CIN census, Annex A) into an LA's import set.

    Each return is kept per LA, kind and year (importing a year again replaces it; the same file again changes
    nothing). The LA's returns are combined into one history (the latest return wins where two overlap) and loaded
    as one batch (ops.extract_batches.source_kind 'returns'), then checked, built and published like any extract.
    Exit status: 0 imported (or already), 1 refused (file, line or XML path, and field named; nothing stored
    changed), 5 the combined batch was replaced meanwhile, 75 the warehouse is not running.
    """


def _run(kind: str, path: Path, la_code: str, *args) -> None:
    from csc.cli import ensure_warehouse
    from csc.imports import ImportRefused
    from csc.imports.importset import ImportSetError
    from csc.imports.importset import import_returns as add_to_set
    from csc.ingest import ExtractRefused, FileLoad
    from csc.ingest.errors import ExtractReplaced

    module, function = PARSERS[kind]
    parse = getattr(importlib.import_module(module), function)
    settings = get_settings()
    click.echo(f"reading {path}")
    try:
        parsed = parse(path, la_code, *args)
    except ImportRefused as refusal:
        click.echo(f"REFUSED {refusal}", err=True)
        raise SystemExit(REFUSED) from None
    for table, rows in sorted(parsed.tables.items()):
        if not table.startswith("_"):
            click.echo(f"  {table:<34} {len(rows):>8,} rows")
    for notice in parsed.notices:
        click.echo(f"  notice: {notice}")
    ensure_warehouse(settings)

    def progress(file: FileLoad) -> None:
        if file.rows:
            click.echo(f"  loaded {file.file_name:<34} {file.rows:>8,} rows")

    try:
        result = add_to_set(settings, [parsed], on_file=progress)
    except ImportSetError as exc:
        raise click.ClickException(str(exc)) from None
    except ExtractReplaced as refusal:
        click.echo(f"NOT LOADED (replaced) {refusal}", err=True)
        raise SystemExit(REPLACED) from None
    except ExtractRefused as refusal:
        click.echo(f"REFUSED ({refusal.reason}) {refusal}", err=True)
        raise SystemExit(REFUSED) from None
    click.echo(f"{result.status}: {result.message}")
    _validate(settings, parsed, result.batch_id)
    if result.status == "loaded":
        from csc.pipeline import analyze_raw, record_changes

        click.echo(f"  planner statistics of raw refreshed in {analyze_raw(settings):.2f} s")
        changes = record_changes(result.batch_id, settings)
        click.echo(f"  since the published batch: {changes['new']:,} rows new, {changes['changed']:,} changed, "
                   f"{changes['deleted']:,} deleted")
        click.echo(f"  next: csc check --batch {result.batch_id}, then csc build and csc publish")


def _validate(settings, parsed, batch_id: int | None) -> None:
    """The DfE validator on the files as they came in (csc.imports.validation): its verdict is kept in ops; a
    validator that cannot run leaves the import as it is and says so."""
    from csc.imports.validation import validate_import
    from csc.statutory.years import StatutoryError

    try:
        done = validate_import(settings, parsed, batch_id=batch_id)
    except StatutoryError as exc:
        click.echo(f"  DfE validator not run: {exc}", err=True)
        return
    if done is None:
        return
    if done.validation_run_id is None or done.note:
        click.echo(f"  DfE validator: {done.note}")
        return
    click.echo(f"  DfE validator on the files as received (ops.statutory_validation_runs {done.validation_run_id}, "
               f"import {done.import_id}):")
    for line in done.summary:
        click.echo(f"  {line}")
    click.echo(f"  next: csc import report --la {parsed.la_code} (after csc check) shows them beside the checks")


@import_returns.command("report")
@click.option("--la", "la_code", required=True, metavar="CODE", help="The LA whose imported returns to report on.")
@click.option("--no-children", is_flag=True, help="Counts only, without the children of each pair.")
def report(la_code: str, no_children: bool) -> None:
    """The catalogue beside the DfE validators on the LA's imported returns: per pair of rules that look for the
    same fault (include/csc/imports/return_checks.yml), the children each flags (both, only ours, only the DfE's)."""
    from csc.cli import ensure_warehouse
    from csc.imports.validation import agreement, report_lines

    settings = get_settings()
    ensure_warehouse(settings)
    for line in report_lines(agreement(settings, la_code), children=not no_children):
        click.echo(line)


@import_returns.command("903")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@la_option
@year_option
def import_903(path: Path, la_code: str, year: str) -> None:
    """An SSDA903 return: PATH a folder of the DfE's CSV files (header.csv, episodes.csv, ...) or one XML file."""
    _run("903", path, la_code, year)


@import_returns.command("cin")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@la_option
@year_option
def import_cin(path: Path, la_code: str, year: str) -> None:
    """A CIN census XML file of any year from 2017-18 on."""
    _run("cin", path, la_code, year)


@import_returns.command("annex-a")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@la_option
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The date the lists were drawn up to.")
def import_annex_a(path: Path, la_code: str, as_of) -> None:
    """Ofsted's Annex A workbook (xlsx)."""
    day: date = as_of.date()
    _run("annex-a", path, la_code, day)


def register(cli: click.Group) -> None:
    cli.add_command(import_returns)
