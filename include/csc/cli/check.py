"""``csc check``: run the data-quality catalogue on a loaded batch, as the nightly DAG's check step does."""

from __future__ import annotations

import click

from csc.cli.exit_status import BLOCKED as EXIT_BLOCKED
from csc.cli.exit_status import ERROR as EXIT_ERROR
from csc.settings import get_settings


@click.command()
@click.option("--batch", "batch_id", type=int, help="Batch id (ops.extract_batches) to check.")
@click.option("--la", "la_code", help="Check the LA's latest loaded batch (else its published batch).")
@click.option("--expected-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The night the extract must be for (freshness); default: only later than the published night.")
@click.option("--no-alerts", is_flag=True, help="Do not e-mail anyone (the report is still written).")
@click.option("--list-rules", is_flag=True, help="List every rule of the catalogue and exit.")
@click.option("--markdown", is_flag=True, help="With --list-rules: as the Markdown page expectations/CATALOGUE.md.")
def check(batch_id: int | None, la_code: str | None, expected_date, no_alerts: bool, list_rules: bool,
          markdown: bool) -> None:
    """Run the data-quality rules on a batch; exit 1 when a blocking rule fails (the batch is not published)."""
    settings = get_settings()
    if list_rules:
        _list_rules(settings, markdown)
        return
    if (batch_id is None) == (la_code is None):
        raise click.UsageError("give exactly one of --batch ID or --la CODE")
    from csc.cli import ensure_warehouse
    from csc.quality import DataQualityRunError, run_checks
    from csc.warehouse.connection import is_warehouse_unavailable

    ensure_warehouse(settings)
    if batch_id is None:
        batch_id = _latest_batch(settings, la_code)
    try:
        result = run_checks(batch_id, settings, expected_extract_date=expected_date.date() if expected_date else None,
                            progress=lambda message: click.echo(message, err=True), send_alerts=not no_alerts)
    except (DataQualityRunError, KeyError, ValueError) as exc:
        if is_warehouse_unavailable(exc):
            raise
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(EXIT_ERROR) from None
    click.echo(summary(result))
    if result.outcome == "block":
        raise SystemExit(EXIT_BLOCKED)


def _latest_batch(settings, la_code: str) -> int:
    from csc.warehouse.bootstrap import LOADER
    from csc.warehouse.connection import connect

    with connect(settings, role=LOADER) as conn:
        row = conn.execute(
            "select batch_id from ops.extract_batches where la_code = %s "
            "and status in ('loaded', 'checked', 'blocked', 'published') "
            "order by (status <> 'published') desc, extract_date desc, batch_id desc limit 1", (la_code,)).fetchone()
    if row is None:
        raise click.ClickException(f"LA {la_code} has no loaded or published batch to check")
    return row[0]


def summary(result) -> str:
    """The readable end of ``csc check``: outcome, what failed, where to look."""
    words = {"block": "BLOCKED: nothing of this batch is published", "warn": "passed with warnings",
             "pass": "passed"}
    lines = ["", f"Outcome: {words[result.outcome]} (batch {result.batch_id}, LA {result.la_code}, "
                 f"extract {result.extract_date}, data-quality run {result.dq_run_id})"]
    for title, rules in (("Blocking rules failing", result.blocking_rules),
                         ("Warning rules failing", result.warning_rules),
                         ("Rules that could not run", result.error_rules)):
        if rules:
            lines.append(f"{title} ({len(rules)}):")
            lines += [f"  {rule}" for rule in rules]
    if result.exceptions:
        lines.append(f"Practice exceptions: {result.exception_records:,} records")
        lines += [f"  {rule}: {n:,}" for rule, n in sorted(result.exceptions.items())]
    lines.append(f"Rules: {result.rules_evaluated} evaluated, {result.rules_skipped} skipped; "
                 f"{result.fault_records:,} records with a data fault; {result.seconds:.1f} s")
    if result.report_path:
        lines.append(f"Report:    {result.report_path}")
    if result.data_docs_path:
        lines.append(f"Data Docs: {result.data_docs_path}")
    for alert in result.alerts:
        lines.append(f"Alert {alert.key}: {alert.status}" + (f" ({alert.detail})" if alert.detail else ""))
    return "\n".join(lines)


def _list_rules(settings, markdown: bool) -> None:
    from csc.quality.catalogue import catalogue_markdown, load_catalogue

    catalogue = load_catalogue(settings)
    if markdown:
        click.echo(catalogue_markdown(catalogue), nl=False)
        return
    for rule in catalogue:
        kind = "exception" if rule.kind == "exception" else rule.severity
        click.echo(f"{rule.id:60} {kind:9} {rule.family:22} {rule.description}")
    click.echo(f"{len(catalogue)} rules", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(check)
