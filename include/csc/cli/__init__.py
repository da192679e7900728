"""The ``csc`` command line: the same steps the nightly DAG runs, one command each.

Each area keeps its commands in its own module here and registers them in ``COMMAND_MODULES``.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from csc import __version__
from csc.cli.common import ensure_warehouse, started_settings  # noqa: F401 (the commands' explicit start)

COMMAND_MODULES = [
    "csc.cli.warehouse",
    "csc.cli.airflow",
    "csc.cli.run",
    "csc.cli.returns",
    "csc.cli.load",
    "csc.cli.profile",
    "csc.cli.extract",
    "csc.cli.generate",
    "csc.cli.check",
    "csc.cli.dq",
    "csc.cli.transform",
    "csc.cli.backfill",
    "csc.cli.bi",
    "csc.cli.statutory",
    "csc.cli.imports",
    "csc.cli.retention",
]


class _Csc(click.Group):
    """A warehouse that is not running or goes away mid-step ends any command with one line and status 75
    (:data:`csc.cli.exit_status.UNAVAILABLE`): never a traceback, never a restart of the server."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            from csc.cli.exit_status import REFUSED, UNAVAILABLE
            from csc.warehouse.connection import is_warehouse_unavailable
            from csc.warehouse.embedded import DataFolderVersionError

            if isinstance(exc, DataFolderVersionError):  # a data folder of an older PostgreSQL: name the upgrade
                click.echo(f"Error: {exc}", err=True)
                ctx.exit(REFUSED)

            if not is_warehouse_unavailable(exc):
                raise
            click.echo(f"Error: {unavailable_message(exc)}", err=True)
            ctx.exit(UNAVAILABLE)


@click.group(cls=_Csc, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="csc")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Children's social care data pipeline: ingest, check, model and publish an LA's nightly extract."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(cli)


def main() -> None:
    from csc.cli.exit_status import ERROR
    from csc.privacy import private_umask
    from csc.settings import MissingSecret

    private_umask()  # everything csc and the processes it starts (dbt, Airflow, tasks) write is owner-only
    try:
        cli(prog_name="csc")
    except MissingSecret as missing:
        click.echo(f"Error: {missing}", err=True)
        raise SystemExit(ERROR) from None


def unavailable_message(exc: BaseException) -> str:
    """One line: what happened and what to do."""
    from csc.warehouse.connection import WarehouseUnavailable, cause_chain

    for item in cause_chain(exc):
        if isinstance(item, WarehouseUnavailable):
            return f"{item}; run the command again once it is running"
    text = str(exc).strip()
    detail = text.splitlines()[0] if text else type(exc).__name__
    return f"the warehouse went away mid-step ({detail}): start it (`csc warehouse start`) and run the command again"
