"""The ``csc`` command line: the same steps the nightly DAG runs, one command each.

Each area keeps its commands in its own module here and registers them in ``COMMAND_MODULES``.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from csc import __version__

COMMAND_MODULES = [
    "csc.cli.warehouse",
    "csc.cli.airflow",
    "csc.cli.run",
    "csc.cli.returns",
    "csc.cli.load",
    "csc.cli.generate",
    "csc.cli.check",
    "csc.cli.dq",
    "csc.cli.transform",
    "csc.cli.backfill",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="csc")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Children's social care data pipeline: ingest, check, model and publish an LA's nightly extract."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(cli)


def main() -> None:
    cli(prog_name="csc")
