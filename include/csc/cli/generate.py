"""``csc generate``: a synthetic LA's nightly extract with its ground truth; ``csc synthetic-seeds``."""

from __future__ import annotations

from pathlib import Path

import click


def _size(value: str) -> str | int:
    return int(value) if value.isdigit() else value


@click.command()
@click.option("--la", "la_code", default=None, metavar="CODE",
              help="Synthetic LA code from the generator config (999 Demoshire, 901 Tinyshire, 903 Countyshire). "
                   "Default: CSC_DEMO_LA.")
@click.option("--size", default=None, metavar="tiny|small|county|N",
              help="Size preset, or the number of children aged 0-17. Default: the LA's configured size.")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0), help="Random seed.")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Extract date of the (last) night.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: extracts go to OUT/<la>/<date>/, truth to OUT/truth/<la>/<date>/.")
@click.option("--faults", default="none", show_default=True, metavar="none|default|all|FILE",
              help="Data faults to inject: none, default, all, or a YAML file of fault rates.")
@click.option("--nights", default=1, show_default=True, type=click.IntRange(min=1, max=366),
              help="Consecutive nightly extracts ending on --as-of.")
@click.option("--messy", is_flag=True, help="Render files as real exports arrive (encodings, CRLF, dd/mm/yyyy...).")
@click.option("--dialect", default="csv", show_default=True, type=click.Choice(["csv", "ssms", "bcp"]),
              help="Export dialect: csv (RFC 4180, header); ssms (header, unquoted, NULL for null); bcp (bcp -c: no "
                   "header, unquoted, NUL for an empty string).")
@click.option("--delimiter", default=None, metavar="CHAR",
              help="Field delimiter of ssms and bcp (default: tab; 'tab' or a single character).")
@click.option("--encoding", default=None, type=click.Choice(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
              help="File encoding (default UTF-8; utf-16 writes a byte-order mark, as SSMS and sqlcmd -u do).")
@click.option("--datetime-style", "datetime_style", default="iso", show_default=True,
              type=click.Choice(["iso", "sqlserver", "sqlserver-text"]),
              help="Dates as ISO, as SQL Server prints a DATETIME (2024-12-10 00:00:00.000), or as "
                   "CAST(datetime AS varchar) writes it (Jun 14 2022 12:00AM).")
@click.option("--no-manifest", "no_manifest", is_flag=True,
              help="Write the export job's READY marker instead of manifest.json (an LA with 'manifest: optional').")
@click.option("--system", default="generic", show_default=True,
              type=click.Choice(["generic", "systemc", "mosaic", "eclipse"]),
              help="Write the same LA in a source system's SSD conventions (column names, codes or descriptions, "
                   "role codes, worker names, keys): README, 'Generating test data'.")
@click.option("--allocated-flag/--no-allocated-flag", "allocated_flag", default=None,
              help="Add SystemC's IS_ALLOCATED_CW_FLAG to ssd_involvements (default: with --system systemc).")
@click.option("--full-ssd/--contract-only", "full_ssd", default=None,
              help="Also write the SSD v1.4.5 tables the product does not load yet (default: for every system "
                   "but generic).")
@click.option("--to-database", "to_database", default=None, metavar="URL",
              help="Also rebuild the SSD in this PostgreSQL database as an Eclipse deployment holds it (tables from "
                   "the contract, TRUNCATE and refill) with the night --database-night; with 2+ nights, the record "
                   "of what changed between the last two is written to truth/<la>/<date>/changes.csv.")
@click.option("--database-night", "database_night", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
              metavar="YYYY-MM-DD", help="The night written to --to-database (default: --as-of).")
@click.option("--database-schema", "database_schema", default=None, metavar="NAME",
              help="Schema of the SSD tables in --to-database (default: the login's default schema).")
@click.option("--quiet", is_flag=True, help="No progress output.")
def generate(la_code: str | None, size: str | None, seed: int, as_of, out: Path, faults: str, nights: int,
             messy: bool, dialect: str, delimiter: str | None, encoding: str | None, datetime_style: str,
             no_manifest: bool, system: str, allocated_flag: bool | None, full_ssd: bool | None,
             to_database: str | None, database_night, database_schema: str | None,
             quiet: bool) -> None:
    """Generate a synthetic LA extract (no real personal data) with true indicators, faults and exceptions."""
    from csc.settings import get_settings
    from csc_synthetic import generate as run
    from csc_synthetic.render import Rendering

    progress = None if quiet else (lambda message: click.echo(message, err=True))
    try:
        result = run(la_code or get_settings().demo_la, _size(size) if size else None, seed,
                     as_of.date(), out,
                     faults=faults, nights=nights, messy=messy, progress=progress,
                     rendering=Rendering(dialect=dialect, delimiter="\t" if delimiter == "tab" else delimiter,
                                         encoding=encoding, datetime_style=datetime_style,
                                         manifest=not no_manifest, system=system,
                                         allocated_flag=allocated_flag, full_ssd=full_ssd))
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    for night in result.nights:
        click.echo(f"{night.extract_dir}  ({sum(night.rows.values()):,} rows, {night.faults} fault rows; "
                   f"truth in {night.truth_dir})")
    if to_database:
        from csc_synthetic.source_database import write_source_night

        try:
            click.echo(write_source_night(result, to_database, database_night.date() if database_night else None,
                                          database_schema, rendering_is_csv=dialect == "csv" and not messy))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None


@click.command("synthetic-seeds")
@click.option("--check", is_flag=True, help="Only check that the seed files match; exit 1 if not.")
def synthetic_seeds(check: bool) -> None:
    """Write (or check) the dbt seeds derived from the generator: la_population.csv and bank_holidays.csv."""
    from csc_synthetic.seeds import SEED_FILES, expected_seed_bytes

    stale = []
    for path, data in expected_seed_bytes().items():
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path)
        if not check:
            path.write_bytes(data)
    if check and stale:
        raise click.ClickException("out of date: " + ", ".join(str(p) for p in stale)
                                   + " (run `csc synthetic-seeds`)")
    click.echo(("checked " if check else "wrote ") + ", ".join(str(p) for p in SEED_FILES))


def register(cli: click.Group) -> None:
    cli.add_command(generate)
    cli.add_command(synthetic_seeds)
