"""``csc profile PATH``: what loading and checking a real extract would do, without loading it."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--system", default=None, metavar="NAME",
              help="The source system's profile (generic, systemc, mosaic, eclipse). Default: the manifest's "
                   "source_system when it names a profile, else generic.")
@click.option("--dialect", type=click.Choice(["csv", "ssms", "bcp"]), default=None,
              help="How the files are written. Default: bcp if the files are unmistakably bcp, else csv.")
@click.option("--delimiter", default=None, metavar="CHAR", help="Field delimiter of ssms and bcp files (default tab).")
@click.option("--population", type=click.Path(exists=True, path_type=Path), default=None,
              help="The LA's ONS 0-17 population file (as population: in las.yml), for the rates.")
def profile(path: Path, system: str | None, dialect: str | None, delimiter: str | None,
            population: Path | None) -> None:
    """A dry run of an extract (folder or zip): tables and columns found, extra and missing; unmapped codes per
    vocabulary column; worker columns holding names or staff ids; what the loader would refuse; the structural
    rules that would fail; the indicators that would be "not available". Nothing is loaded or written.

    Exit status: 0 the extract would load, 1 the loader would refuse it.
    """
    from csc.contract.profiles import UnknownSystem, load_profile
    from csc.ingest.profiling import profile_extract, render

    if system is not None:
        try:
            load_profile(system)
        except UnknownSystem as unknown:
            raise click.BadParameter(str(unknown), param_hint="--system") from None
    if delimiter == "tab":
        delimiter = "\t"
    try:
        report = profile_extract(path, system=system, dialect_name=dialect, delimiter=delimiter,
                                 population=population)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(render(report), nl=False)
    raise SystemExit(0 if report.would_load else 1)


def register(cli: click.Group) -> None:
    cli.add_command(profile)
