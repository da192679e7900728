"""``csc purge``: delete what each local store keeps past its LA's retention (csc.retention)."""

from __future__ import annotations

import click

from csc.cli.common import started_settings


@click.command()
@click.option("--la", "la_code", default=None, help="Only this LA's files (default: every LA's and the install's).")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@click.option("--list", "list_paths", is_flag=True, help="Also list every path deleted (or that would be).")
def purge(la_code: str | None, dry_run: bool, list_paths: bool) -> None:
    """Delete archives, quarantined extracts, reports, returns, alert e-mails and logs older than their retention.

    Retention is set per LA and store in config/las.yml (`retention:`), else by CSC_<STORE>_RETENTION_DAYS. Never
    deleted: the current night's and the last published extract's files, and each LA's latest return.
    """
    from csc.las import UnknownLA, la_registry
    from csc.retention import purge as run_purge

    settings = started_settings()
    if la_code is not None:
        try:
            la_registry(settings).get(la_code)
        except UnknownLA as exc:
            raise click.ClickException(str(exc)) from None
    report = run_purge(settings, la_codes=None if la_code is None else [la_code], dry_run=dry_run)
    click.echo(report.table())
    if list_paths:
        for path in report.deleted:
            click.echo(f"{'would delete' if dry_run else 'deleted'} {path}")
    total = len(report.deleted)
    click.echo(f"{'would delete' if dry_run else 'deleted'} {total} item(s)"
               + (" (dry run: nothing deleted)" if dry_run else ""))
    if report.errors:
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException(f"{len(report.errors)} item(s) could not be deleted (listed above)")


def register(cli: click.Group) -> None:
    cli.add_command(purge)
