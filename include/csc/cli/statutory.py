"""``csc statutory``: the DfE statutory returns (SSDA903, CIN census), their validation, and Ofsted's Annex A."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TypeVar

import click

from csc.settings import Settings, get_settings

T = TypeVar("T")


def _year(ctx: click.Context, param: click.Parameter, value: str):
    from csc.statutory import CollectionYear

    try:
        return CollectionYear.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _out(settings, la_code: str, kind: str, label: str, out: Path | None) -> Path:
    if out is not None:
        return out
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.outputs_dir / "statutory" / la_code / f"{kind}-{label}-{stamp}"


def _warehouse() -> Settings:
    """The settings, once the warehouse is known to be there (else a clear refusal)."""
    from csc.cli import ensure_warehouse

    settings = get_settings()
    ensure_warehouse(settings)
    return settings


@contextmanager
def _refused() -> Iterator[None]:
    """A return that cannot be built or validated as asked: its reason, as the command's error."""
    from csc.statutory import StatutoryError

    try:
        yield
    except StatutoryError as exc:
        raise click.ClickException(str(exc)) from None


def _write(la_code: str, kind: str, label: str, out: Path | None, write: Callable[[Settings, Path], T]) -> T:
    """Write one return into ``out`` (default: a new folder under outputs/statutory/CODE), never into a folder that
    already holds files."""
    from csc.statutory import ensure_fresh

    settings = _warehouse()
    folder = _out(settings, la_code, kind, label, out)
    with _refused():
        ensure_fresh(folder)
        return write(settings, folder)


@click.group("statutory")
def statutory() -> None:
    """The DfE statutory returns from the warehouse: SSDA903, CIN census, their validation; Ofsted's Annex A.

    The files carry the LA's own child ids: they are written owner-only, outside the shared returns folder.
    """


@statutory.command("903")
@click.option("--la", "la_code", required=True, metavar="CODE", help="LA code, e.g. 999.")
@click.option("--year", required=True, callback=_year, metavar="YYYY-YY", help="Collection year, e.g. 2025-26.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="New or empty folder for the files (default: a new folder under outputs/statutory/CODE).")
def ssda903(la_code: str, year, out: Path | None) -> None:
    """Write the SSDA903 CSV files of a collection year; print the folder and each file's rows."""
    from csc.statutory.ssda903 import write_903

    result = _write(la_code, "903", year.name, out, lambda settings, folder: write_903(settings, la_code, year, folder))
    click.echo(str(result.folder))
    for name, rows in result.rows.items():
        click.echo(f"  {name}.csv: {rows} rows")
    for item, tables in result.not_held.items():
        click.echo(f"  notice: {item} not written: the extract does not carry {tables}")


@statutory.command("cin")
@click.option("--la", "la_code", required=True, metavar="CODE", help="LA code, e.g. 999.")
@click.option("--year", required=True, callback=_year, metavar="YYYY-YY", help="Collection year, e.g. 2025-26.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="New or empty folder for the file (default: a new folder under outputs/statutory/CODE).")
def cin(la_code: str, year, out: Path | None) -> None:
    """Write the CIN census XML of a collection year, checked against that year's DfE schema; print its path."""
    from csc.statutory.cin import write_cin

    result = _write(la_code, "cin", year.name, out, lambda settings, folder: write_cin(settings, la_code, year, folder))
    click.echo(str(result.path))
    click.echo(f"  {result.children} children, valid against {result.schema.name}")


@statutory.command("validate")
@click.option("--la", "la_code", required=True, metavar="CODE", help="LA code, e.g. 999.")
@click.option("--year", required=True, callback=_year, metavar="YYYY-YY", help="Collection year, e.g. 2025-26.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="New or empty folder for the files validated (default: under outputs/statutory/CODE).")
@click.option("--ons-code", default=None, metavar="E0NNNNNNN",
              help="The LA's ONS code for the 903 validator's LA rules (default: the LA's ons_code in las.yml; "
                   "none: those rules then fail).")
def validate(la_code: str, year, out: Path | None, ons_code: str | None) -> None:
    """Build the 903 and CIN files of a year, run the DfE's validators on them and store every issue in ops.

    Prints one line per rule that failed or did not run (a rule that crashed is "not run", never a pass).
    Exit status 1 when a rule failed with an error or did not run.
    """
    from csc.statutory.validate import validate_year

    settings = _warehouse()
    folder = _out(settings, la_code, "validate", year.name, out)
    with _refused():
        if ons_code is None:
            from csc.las import identity_codes

            ons_code = identity_codes(settings, la_code)[0]
        run = validate_year(settings, la_code, year, folder, ons_code=ons_code, progress=click.echo)
    for line in run.summary_lines():
        click.echo(line)
    if run.blocking:
        from csc.cli.exit_status import REFUSED

        raise SystemExit(REFUSED)


@statutory.command("readiness")
@click.option("--la", "la_code", required=True, metavar="CODE", help="LA code, e.g. 999.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The night (default: the extract date of the LA's latest published batch).")
@click.option("--ons-code", default=None, metavar="E0NNNNNNN",
              help="The LA's ONS code for the 903 validator (default: the LA's ons_code in las.yml).")
def readiness(la_code: str, as_of, ons_code: str | None) -> None:
    """Return readiness: build and validate the current collection year's 903 and CIN files; print the errors by
    rule, the new and resolved errors since the last run, and the children to fix per team."""
    from csc.statutory.readiness import nightly_readiness
    from csc.warehouse.connection import connect

    settings = _warehouse()
    night = as_of.date() if as_of else None
    if night is None:
        with connect(settings, application="csc statutory readiness") as conn:
            night = conn.execute("select max(extract_date) from ops.extract_batches where la_code = %s "
                                 "and status = 'published'", (la_code,)).fetchone()[0]
        if night is None:
            raise click.ClickException(f"LA {la_code} has no published batch: give --as-of")
    with _refused():
        result = nightly_readiness(settings, la_code, night, ons_code=ons_code)
    for line in result.lines():
        click.echo(line)


@statutory.command("annex-a")
@click.option("--la", "la_code", required=True, metavar="CODE", help="LA code, e.g. 999.")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The inspection's reference date: each list covers its window up to this day.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="New or empty folder for the workbook (default: under outputs/statutory/CODE).")
def annex_a(la_code: str, as_of, out: Path | None) -> None:
    """Write Ofsted's Annex A lists (xlsx, the published column headings); print the path and each list's rows."""
    from csc.statutory.annex_a import write_annex_a

    day: date = as_of.date()
    result = _write(la_code, "annex-a", day.isoformat(), out,
                    lambda settings, folder: write_annex_a(settings, la_code, day, folder))
    click.echo(str(result.path))
    for name, rows in result.rows.items():
        click.echo(f"  {name}: {rows} rows")
    for name, tables in result.not_held.items():
        click.echo(f"  notice: {name} may be short: the extract does not carry {tables}")


def register(cli: click.Group) -> None:
    cli.add_command(statutory)
