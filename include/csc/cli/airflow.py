"""``csc airflow start|stop|status|cmd``: Airflow for this install (``make airflow`` / ``make airflow-stop``)."""

from __future__ import annotations

import sys

import click

from csc.settings import get_settings


@click.group(name="airflow")
def airflow_group() -> None:
    """Airflow UI and scheduler on 127.0.0.1, and any airflow command with this install's settings."""


@airflow_group.command()
@click.option("--port", default=8080, show_default=True, help="Port of the Airflow UI/API on 127.0.0.1.")
def start(port: int) -> None:
    """Start api-server, scheduler, dag-processor and triggerer (each reused if running); print how to log in."""
    from csc.cli import ensure_warehouse
    from csc.orchestration import local_airflow

    settings = get_settings()
    ensure_warehouse(settings)  # Airflow's metadata database is on the warehouse server
    click.echo("starting Airflow (api-server, scheduler, dag-processor, triggerer)...")
    url = local_airflow.start(settings, port=port)
    click.echo(f"Airflow UI: {url}  (logs: {settings.logs_dir / 'airflow'}; stop with `make airflow-stop`)")
    click.echo(local_airflow.login_help(settings))


@airflow_group.command()
def users() -> None:
    """The Airflow users and roles, and the owner-only file with their passwords (generated where missing)."""
    from csc.orchestration import local_airflow

    click.echo(local_airflow.login_help(get_settings()))


@airflow_group.command()
def stop() -> None:
    """Stop every Airflow process `csc airflow start` started, and wait until they are gone."""
    from csc.orchestration import local_airflow

    stopped = local_airflow.stop(get_settings())
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "Airflow was not running")


@airflow_group.command()
def status() -> None:
    """Which Airflow components are running."""
    from csc.orchestration import local_airflow

    for component in local_airflow.status(get_settings()):
        state = f"running (pid {component.pid})" if component.running else "stopped"
        click.echo(f"{component.name:14} {state}")


@airflow_group.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def cmd(args: tuple[str, ...]) -> None:
    """Run `airflow ARGS...` with this install's environment, e.g. `csc airflow cmd dags list`."""
    from csc.cli import ensure_warehouse
    from csc.orchestration.local_airflow import airflow_command

    settings = get_settings()
    ensure_warehouse(settings)  # Airflow's metadata database is on the warehouse server
    sys.exit(airflow_command(settings, *args, check=False).returncode)


def register(cli: click.Group) -> None:
    cli.add_command(airflow_group)
