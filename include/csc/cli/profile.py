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
@click.option("--la", "la_code", default=None, metavar="CODE",
              help="Read as this configured LA would be: its system:, vocabulary:, population: and export: in "
                   "las.yml (the options above win).")
def profile(path: Path, system: str | None, dialect: str | None, delimiter: str | None,
            population: Path | None, la_code: str | None) -> None:
    """A dry run of an extract (folder or zip): tables and columns found, extra and missing; unmapped codes per
    vocabulary column; worker columns holding names or staff ids; what the loader would refuse; the structural
    rules that would fail; the indicators that would be "not available". Nothing is loaded or written.

    Exit status: 0 the extract would load, 1 the loader would refuse it.
    """
    from csc.contract.profiles import UnknownSystem, load_profile
    from csc.ingest.profiling import profile_extract, render

    vocabulary = None
    if la_code is not None:
        from csc.las import UnknownLA, la_registry
        from csc.settings import PROJECT_ROOT, get_settings

        try:
            la = la_registry(get_settings()).get(la_code)
        except (UnknownLA, FileNotFoundError) as exc:
            raise click.BadParameter(str(exc), param_hint="--la") from None
        system = system or la.system
        vocabulary = la.vocabulary
        population = population or la.population_path(PROJECT_ROOT)
        dialect = dialect or la.export.dialect
        delimiter = delimiter or la.export.delimiter
    if system is not None:
        try:
            load_profile(system)
        except UnknownSystem as unknown:
            raise click.BadParameter(str(unknown), param_hint="--system") from None
    if delimiter == "tab":
        delimiter = "\t"
    try:
        report = profile_extract(path, system=system, dialect_name=dialect, delimiter=delimiter,
                                 population=population, vocabulary=vocabulary)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(render(report), nl=False)
    raise SystemExit(0 if report.would_load else 1)


def register(cli: click.Group) -> None:
    cli.add_command(profile)
