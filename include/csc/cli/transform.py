"""``csc build``, ``csc publish`` and ``csc casework``: the dbt warehouse from the command line."""

from __future__ import annotations

import re

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



def register(cli: click.Group) -> None:
    cli.add_command(build)
    cli.add_command(publish)
    cli.add_command(dbt_manifest)
    cli.add_command(casework)
