"""``csc load PATH`` / ``csc load --la CODE``: verify and load a landed extract, one line per file as it goes."""

from __future__ import annotations

import click

from csc.cli.exit_status import NOTHING, REFUSED, REPLACED
from csc.settings import get_settings


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=str))
@click.option("--la", "la_code", metavar="CODE", help="Load the oldest extract waiting in this LA's landing folder.")
@click.option("--force", is_flag=True,
              help="Load an extract that was loaded before and since replaced by a corrected one, as the LA's "
                   "candidate again (without it such an extract is refused, exit 5).")
@click.option("--dialect", type=click.Choice(["csv", "ssms", "bcp"]), default=None,
              help="How the files are written (over the LA's export: in las.yml): csv (RFC 4180, header), ssms "
                   "(header, unquoted, NULL for null), bcp (bcp -c: no header, unquoted, NUL for an empty string). "
                   "Default: as declared, else bcp if the files are unmistakably bcp, else csv.")
@click.option("--delimiter", default=None, metavar="CHAR",
              help="Field delimiter of ssms and bcp files (default tab); 'tab' or one character.")
@click.option("--system", default=None, metavar="NAME",
              help="The source system's profile (generic, systemc, mosaic, eclipse), over the LA's system: in "
                   "las.yml and the manifest's source_system.")
def load(path: str | None, la_code: str | None, force: bool, dialect: str | None,
         delimiter: str | None, system: str | None) -> None:
    """Verify an extract against its manifest and load it into raw, or refuse and quarantine it.

    PATH is an extract folder <landing>/<la_code>/<YYYY-MM-DD>/ or a zip of one. Exit status: 0 loaded or already
    loaded, 1 refused (the reason names file, line and column; the extract is in quarantine), 3 nothing waiting
    (no extract at PATH, or none in the LA's landing folder), 5 not loaded because this extract was replaced by a
    corrected one (it stays where it is; --force loads it again as the candidate), 75 the warehouse is not running
    or went away (nothing was loaded; run it again).
    """
    from pathlib import Path

    from csc.cli import ensure_warehouse
    from csc.ingest import ExtractRefused, FileLoad, load_extract, next_extract
    from csc.ingest.errors import ExtractReplaced

    settings = get_settings()
    if delimiter == "tab":
        delimiter = "\t"
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '\r\n"\0'):
        raise click.BadParameter("one character other than a quote, NUL or a line break (or 'tab')",
                                 param_hint="--delimiter")
    if system is not None:
        from csc.contract.profiles import UnknownSystem, load_profile

        try:
            load_profile(system)
        except UnknownSystem as unknown:
            raise click.BadParameter(str(unknown), param_hint="--system") from None
    if (path is None) == (la_code is None):
        raise click.UsageError("give either PATH or --la CODE")
    ensure_warehouse(settings)
    if la_code is not None:
        found = next_extract(la_code, settings)
        if found is None:
            click.echo(f"no extract waiting for LA {la_code} in its landing folder")
            raise SystemExit(NOTHING)
        target = found
    else:
        target = Path(path)
    click.echo(f"loading {target}")

    def progress(file: FileLoad) -> None:
        missing = [c for c in file.missing_columns if c not in file.absent_columns]
        extra = f"  (no {', '.join(missing)}: NULL)" if missing else ""
        if file.extra_columns:
            extra += f"  (+{len(file.extra_columns)} extra column{'s' if len(file.extra_columns) > 1 else ''}: _extra)"
        click.echo(f"  {file.file_name:<34} {file.rows:>10,} rows {file.bytes / 1e6:>9.1f} MB  "
                   f"{file.encoding:<9} {file.seconds:6.2f} s{extra}")

    try:
        result = load_extract(target, settings, on_file=progress, force=force, dialect=dialect, delimiter=delimiter,
                              system=system)
    except ExtractReplaced as refusal:
        click.echo(f"NOT LOADED (replaced) {refusal}", err=True)
        raise SystemExit(REPLACED) from None
    except ExtractRefused as refusal:
        click.echo(f"REFUSED ({refusal.reason}) {refusal}", err=True)
        raise SystemExit(REFUSED) from None
    except FileNotFoundError as missing:
        # e.g. a second `csc load` of a folder already loaded: loading moved it to the archive.
        click.echo(f"Error: {missing}. A loaded extract leaves landing for the archive ({settings.archive_dir}); "
                   "`csc load --la CODE` loads whatever is waiting.", err=True)
        raise SystemExit(NOTHING) from None
    click.echo(f"{result.status}: {result.message}")
    if result.status == "loaded":
        from csc.ingest.shape import summary_lines

        click.echo(f"  read with the {result.profile} profile")
        for line in summary_lines(result.notes, result.profile or "generic"):
            click.echo(f"  notice: {line}")
    if result.status == "loaded":
        from csc.pipeline import analyze_raw

        # As the nightly load step does: fresh planner statistics before the checks and dbt read the new batch.
        click.echo(f"  planner statistics of raw refreshed in {analyze_raw(settings):.2f} s")
        from csc.pipeline import record_changes

        changes = record_changes(result.batch_id, settings)
        click.echo(f"  since the published extract: {changes['new']:,} rows new, {changes['changed']:,} changed, "
                   f"{changes['deleted']:,} deleted" + (f"; {changes['warnings']} table(s) with a change-volume "
                                                       "warning" if changes["warnings"] else ""))
        rate = result.total_rows / result.timings["load"] if result.timings.get("load") else 0
        click.echo(f"  batch {result.batch_id} ({result.la_code} {result.extract_date}); verify "
                   f"{result.timings['verify']:.2f} s, load {result.timings['load']:.2f} s ({rate:,.0f} rows/s), "
                   f"archive {result.timings['archive']:.2f} s; archived at {result.archive_path}")


def register(cli: click.Group) -> None:
    cli.add_command(load)
