"""``csc build``, ``csc publish`` and ``csc casework``: the dbt warehouse from the command line."""

from __future__ import annotations

import re
from pathlib import Path

import click

from csc.cli.common import started_settings
from csc.settings import get_settings

_DBT_PROGRESS = re.compile(r"\d+ of \d+ (OK|PASS|WARN|ERROR|FAIL|SKIP)|Finished running|Done\.|Completed|"
                           r"Database Error|Compilation Error|Runtime Error|Failure in|Warning in")


@click.command()
@click.option("--select", "-s", "select", multiple=True, help="dbt node selection (repeatable); default: everything.")
@click.option("--exclude", multiple=True, help="dbt nodes to leave out (repeatable).")
@click.option("--verbose-dbt", is_flag=True, help="Print every line of dbt's output, not only results.")
def build(select: tuple[str, ...], exclude: tuple[str, ...], verbose_dbt: bool) -> None:
    """Build the warehouse (dbt) into the not-yet-published schemas. BI sees nothing until `csc publish`."""
    from csc.cli import ensure_warehouse
    from csc.transform import BuildFailed
    from csc.transform import build as run_build

    settings = get_settings()

    def progress(line: str) -> None:
        if verbose_dbt or not line[:2].isdigit() or _DBT_PROGRESS.search(line):
            click.echo(line)

    ensure_warehouse(settings)
    try:
        result = run_build(settings, select=select, exclude=exclude, progress=progress)
    except BuildFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"built: {result.summary()}. Publish it with `csc publish`.")


@click.command()
@click.option("--build-id", type=int, default=None, help="The build to publish (default: the latest).")
@click.option("--lock-timeout", default="10s", show_default=True,
              help="How long to wait for BI queries still reading the previous marts before ending those sessions.")
def publish(build_id: int | None, lock_timeout: str) -> None:
    """Swap the latest successful build into marts and casework in one transaction; mark its batches published."""
    from csc.cli import ensure_warehouse
    from csc.transform import PublicationRefused
    from csc.transform import publish as run_publish

    settings = get_settings()
    ensure_warehouse(settings)
    try:
        result = run_publish(settings, build_id=build_id, lock_timeout=lock_timeout)
    except PublicationRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.message)


@click.command("dbt-manifest")
def dbt_manifest() -> None:
    """Render the dbt manifest (dbt parse) and print where it is, e.g. for astronomer-cosmos."""
    from csc.cli import ensure_warehouse
    from csc.transform import render_manifest

    settings = get_settings()
    ensure_warehouse(settings)
    click.echo(render_manifest(settings))


@click.group()
def casework() -> None:
    """Who may read which teams' casework exception lists (row-level security)."""


@casework.command("grant")
@click.argument("role")
@click.option("--la", "la_code", required=True, help="LA code.")
@click.option("--team", "team_ids", multiple=True, help="Team id (repeatable). None: every team of the LA.")
def casework_grant(role: str, la_code: str, team_ids: tuple[str, ...]) -> None:
    """Let login ROLE read the casework rows of these teams, directly (no SET ROLE).

    A missing ROLE is created as a login with a generated password (printed: where it is); an existing login is
    mapped; an existing NOLOGIN team role keeps its member logins reading its rows.
    """
    from csc.transform.casework_access import grant_team_access

    try:
        result = grant_team_access(started_settings(), role, la_code, list(team_ids) or [None])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    granted = result.team_ids
    click.echo(f"{role} may read casework rows of LA {la_code}: "
               + (", ".join(t for t in granted if t) if any(granted) else "every team"))
    if result.created:
        click.echo(f"created login {role}; its password is in {result.password_file} (readable by you only)")
    elif result.group:
        click.echo(f"{role} is a NOLOGIN team role: its member logins read these rows")
    for warning in result.audit.warnings if result.audit else []:
        click.echo(f"warning: {warning}", err=True)


@casework.command("revoke")
@click.argument("role")
@click.option("--la", "la_code", required=True, help="LA code.")
@click.option("--team", "team_ids", multiple=True, help="Team id (repeatable). None: every grant for the LA.")
def casework_revoke(role: str, la_code: str, team_ids: tuple[str, ...]) -> None:
    """Stop ROLE reading the casework rows of these teams (the role itself is kept)."""
    from csc.transform.casework_access import revoke_team_access

    removed = revoke_team_access(started_settings(), role, la_code, list(team_ids) or None)
    click.echo(f"removed {removed} grant(s) of {role} for LA {la_code}")


@casework.command("list")
def casework_list() -> None:
    """Show every casework grant."""
    from csc.transform.casework_access import team_access

    for role, la_code, team_id in team_access(started_settings()):
        click.echo(f"{role}\t{la_code}\t{team_id or '(every team)'}")


@casework.command("reads")
@click.option("--login", default=None, help="Only this login's statements (also a login dropped since).")
@click.option("--since", default=None, metavar="YYYY-MM-DD[ HH:MM]", help="Only statements from then on (UTC).")
@click.option("--log", "logs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Server log file to read (repeatable). Default: the server's own (the embedded server's log, or "
                   "the logging collector's files).")
def casework_reads(login: str | None, since: str | None, logs: tuple[Path, ...]) -> None:
    """Who read the casework lists: every logged statement of a casework login (when, login, lists, statement).

    Also turns statement logging on for any casework login that is not logged yet, and says so.
    """
    from collections import Counter

    from csc.transform.casework_audit import casework_reads as read_log

    reads, setup, read_from = read_log(started_settings(), logs=list(logs) or None, login=login, since=since)
    if setup.turned_on:
        click.echo(f"statement logging turned on for: {', '.join(setup.turned_on)} (their earlier reads were not "
                   "logged)", err=True)
    for warning in setup.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not read_from:
        raise click.ClickException("no server log to read: give it with --log FILE (docs/DATA_PROTECTION.md)")
    for read in reads:
        statement = " ".join(read.statement.split())
        click.echo(f"{read.at}\t{read.login}\t{read.database}\t{','.join(read.relations) or '-'}\t"
                   f"{statement[:200]}")
    per_login = Counter(r.login for r in reads if r.relations)
    click.echo(f"{len(reads)} statement(s) of casework logins in {', '.join(map(str, read_from))}; reads of the lists: "
               + (", ".join(f"{name} {n}" for name, n in sorted(per_login.items())) or "none"), err=True)


def register(cli: click.Group) -> None:
    cli.add_command(build)
    cli.add_command(publish)
    cli.add_command(dbt_manifest)
    cli.add_command(casework)
