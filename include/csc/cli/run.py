"""``csc run``: the whole pipeline end to end on the demo LA (what `make run` does)."""

from __future__ import annotations

import click

from csc.settings import get_settings


@click.command()
def run() -> None:
    """Start the warehouse, generate the demo extract, run the nightly DAG, write the quarterly return."""
    from csc.demo import run_demo, summary

    settings = get_settings()
    try:
        result = run_demo(settings, echo=click.echo)
    except RuntimeError as exc:  # a step failed: its message names the log
        raise click.ClickException(str(exc)) from None
    click.echo(summary(settings, result))


def register(cli: click.Group) -> None:
    cli.add_command(run)
