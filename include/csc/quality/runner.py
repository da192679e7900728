"""``run_checks``: the whole rule catalogue on one loaded batch, its history kept in ``ops``, pass/warn/block decided.

The steps: refresh the reference data (code lists, bank holidays) from the seeds; measure the batch (rows, key
stocks) for the volume rules; validate every rule with Great Expectations on the batch; write every flagged record
and per-rule results; decide the outcome and mark the batch ``checked`` or ``blocked`` (a blocked batch is never
published); write the HTML report and Data Docs; alert the LA's performance leads (and, when blocked, its data
engineers). Re-running on the same batch adds a new run; alerts are keyed on the batch, so nobody hears twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from csc import batches
from csc.quality.catalogue import BatchContext, Catalogue, load_catalogue
from csc.quality.findings import batch_findings, record_findings
from csc.quality.measures import has_raw_rows, record_measures, stored_measures
from csc.quality.reference import refresh_reference_data
from csc.quality.vocabulary import refresh_vocabularies
from csc.quality.work import create_work_tables, drop_work_tables, work_prefix
from csc.settings import Settings, get_settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
CHECKABLE = tuple(s.value for s in batches.CHECKABLE)


class DataQualityRunError(RuntimeError):
    """The checks themselves could not run (not a data fault): the batch keeps its status and is not published."""


@dataclass(frozen=True)
class CheckResult:
    batch_id: int
    dq_run_id: int
    la_code: str
    extract_date: date
    outcome: str  # pass | warn | block
    blocking_rules: tuple[str, ...]
    warning_rules: tuple[str, ...]
    error_rules: tuple[str, ...] = ()
    exceptions: dict[str, int] = field(default_factory=dict)
    rules_evaluated: int = 0
    rules_skipped: int = 0
    fault_records: int = 0
    exception_records: int = 0
    report_path: Path | None = None
    data_docs_path: Path | None = None
    alerts: tuple = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class BatchInfo:
    batch_id: int
    la_code: str
    extract_date: date
    status: str


def run_checks(batch_id: int, settings: Settings | None = None, *, expected_extract_date: date | None = None,
               progress: Progress | None = None, send_alerts: bool = True) -> CheckResult:
    """Run the catalogue on one batch. ``expected_extract_date`` is the night the pipeline expects (freshness)."""
    settings = settings or get_settings()
    say = progress or (lambda message: log.info("%s", message))
    started = time.monotonic()
    with connect(settings, role=LOADER, autocommit=True, application="csc check") as conn:
        batch = _batch(conn, batch_id)
        previous_batch_id = _previous_published_batch(conn, batch)
        dq_run_id = conn.execute(
            "insert into ops.dq_runs (batch_id, started_at, expected_extract_date, detail) "
            "values (%s, now(), %s, %s) returning dq_run_id",
            (batch_id, expected_extract_date, json.dumps({"previous_batch_id": previous_batch_id}))).fetchone()[0]
        say(f"Checking batch {batch_id} (LA {batch.la_code}, extract {batch.extract_date}): data-quality run "
            f"{dq_run_id}" + (f", compared with published batch {previous_batch_id}" if previous_batch_id else
                               ", no published batch to compare with"))
        try:
            result = _run(conn, settings, batch, dq_run_id, previous_batch_id, expected_extract_date, say, started)
        except Exception as exc:
            conn.execute("update ops.dq_runs set finished_at = now(), outcome = 'error', detail = detail || %s "
                         "where dq_run_id = %s", (json.dumps({"error": f"{type(exc).__name__}: {exc}"}), dq_run_id))
            raise DataQualityRunError(
                f"Data-quality run {dq_run_id} of batch {batch_id} (LA {batch.la_code}, {batch.extract_date}) "
                f"failed: {type(exc).__name__}: {exc}") from exc
    result = _publish_outputs(result, settings, say, send_alerts)
    return result


def _batch(conn: psycopg.Connection, batch_id: int) -> BatchInfo:
    row = conn.execute("select la_code, extract_date, status from ops.extract_batches where batch_id = %s",
                       (batch_id,)).fetchone()
    if row is None:
        raise KeyError(f"batch {batch_id} is not recorded in ops.extract_batches")
    info = BatchInfo(batch_id, *row)
    if info.status not in CHECKABLE:
        raise ValueError(f"batch {batch_id} (LA {info.la_code}, {info.extract_date}) is {info.status}: "
                         f"only loaded, checked, blocked or published batches have raw rows to check")
    return info


def _previous_published_batch(conn: psycopg.Connection, batch: BatchInfo) -> int | None:
    """The LA's published batch (or, when re-checking the published batch itself, the one it superseded). A
    candidate replaced before publication never counts (``csc.batches``)."""
    return batches.previous_published(conn, batch.la_code, batch.batch_id)


def _timezone(settings: Settings, la_code: str) -> str:
    from csc.las import la_registry

    try:
        registry = la_registry(settings)
        if la_code in registry:
            return registry.get(la_code).timezone
    except FileNotFoundError:
        pass
    return "Europe/London"


def _run(conn: psycopg.Connection, settings: Settings, batch: BatchInfo, dq_run_id: int,
         previous_batch_id: int | None, expected_extract_date: date | None, say: Progress,
         started: float) -> CheckResult:
    from csc.quality.session import CheckSession

    refreshed = refresh_reference_data(conn, settings)
    if any(refreshed.values()):
        say("Reference data refreshed from the seeds: " + ", ".join(k for k, v in refreshed.items() if v))
    refresh_vocabularies(conn, settings)  # the LAs' profiles and vocabulary: maps, as dbt will read them
    catalogue = load_catalogue(settings)
    from csc.imports.validation import tables_not_held

    return_kinds, not_held = tables_not_held(conn, batch.batch_id)
    ctx = BatchContext(batch_id=batch.batch_id, extract_date=batch.extract_date, previous_batch_id=previous_batch_id,
                       expected_extract_date=expected_extract_date, timezone=_timezone(settings, batch.la_code),
                       work_prefix=work_prefix(dq_run_id), return_kinds=return_kinds, not_held=not_held)
    drop_work_tables(conn)  # left behind by runs that died
    try:
        seconds = create_work_tables(conn, catalogue.contract, ctx, settings)
        say(f"Copied the batch into typed work tables ({seconds:.1f} s)")
        measures = record_measures(conn, catalogue, ctx)
        previous_measures = _previous_measures(conn, catalogue, ctx, dq_run_id, settings)
        say(f"Measured the batch: {int(sum(v for k, v in measures.items() if k.startswith('rows:'))):,} records, "
            + ", ".join(f"{k.replace('_', ' ')} {int(v):,}" for k, v in measures.items() if not k.startswith("rows:")))
        docs_dir = data_docs_dir(settings, batch) if settings.dq_data_docs else None
        say(f"Validating {len(catalogue)} rules with Great Expectations")
        with CheckSession(settings, docs_dir=docs_dir, progress=lambda m: say("  " + m)) as session:
            evaluations = session.validate(catalogue, ctx, previous_measures=previous_measures)
            docs_index = session.build_docs()
        say("Recording failing records")
        rows = [_result_row(conn, rule, evaluations[rule.id], catalogue, ctx, dq_run_id, measures, settings)
                for rule in catalogue]
    finally:
        drop_work_tables(conn, dq_run_id)
    with conn.transaction():
        with conn.cursor() as cur:
            cur.executemany(
                "insert into ops.dq_results (dq_run_id, rule_id, severity, family, table_name, rows_evaluated, "
                "rows_failing, sample_keys, kind, status, description, observed, team_counts, error) "
                "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
        result = _decide(conn, catalogue, evaluations, batch, dq_run_id, started, docs_index)
    return result


def _result_row(conn: psycopg.Connection, rule, ev, catalogue: Catalogue, ctx: BatchContext, dq_run_id: int,
                measures: dict[str, float], settings: Settings) -> tuple:
    """The rule's row of ops.dq_results; a failing record rule's records are written on the way."""
    sample: list[str] = []
    teams: dict[str, int] = {}
    records = None
    if ev.status == "fail" and rule.subject == "record":
        found = record_findings(conn, rule, catalogue, ctx, dq_run_id, settings.dq_sample_keys)
        sample, teams, records = found.sample, found.team_counts, found.records
        if found.rows != ev.rows_failing:
            ev.status = "error"
            ev.error = (f"rule {rule.id} on {rule.table} of batch {ctx.batch_id}: Great Expectations counted "
                        f"{ev.rows_failing} failing rows, the failing-record query found {found.rows}")
            log.error("%s", ev.error)
    elif ev.status == "fail":
        sample = batch_findings(conn, rule, catalogue, ctx, settings.dq_sample_keys)
    elif ev.status == "error":
        ev.error = f"rule {rule.id} on {rule.table} of batch {ctx.batch_id}: {ev.error}"
        log.error("data-quality %s", ev.error)
    rows_evaluated = ev.rows_evaluated
    if rows_evaluated is None and rule.subject == "record" and not rule.table.startswith("ops."):
        rows_evaluated = int(measures.get(f"rows:{rule.table}", 0))
    observed = dict(ev.observed)
    if records is not None:
        observed["records"] = records
    return (dq_run_id, rule.id, rule.severity, rule.family, rule.table, rows_evaluated, ev.rows_failing,
            json.dumps(sample), rule.kind, ev.status, rule.description, json.dumps(observed), json.dumps(teams),
            ev.error)


def _previous_measures(conn: psycopg.Connection, catalogue: Catalogue, ctx: BatchContext, dq_run_id: int,
                       settings: Settings) -> dict[str, float] | None:
    if ctx.previous_batch_id is None:
        return None
    stored = stored_measures(conn, ctx.previous_batch_id)
    if stored:
        return stored
    if has_raw_rows(conn, ctx.previous_batch_id):  # published before the checks kept measures: measure it now
        row = conn.execute("select extract_date from ops.extract_batches where batch_id = %s",
                           (ctx.previous_batch_id,)).fetchone()
        previous_ctx = BatchContext(batch_id=ctx.previous_batch_id, extract_date=row[0], timezone=ctx.timezone,
                                    work_prefix=work_prefix(dq_run_id, ctx.previous_batch_id))
        create_work_tables(conn, catalogue.contract, previous_ctx, settings)
        return record_measures(conn, catalogue, previous_ctx)
    return None


def _decide(conn: psycopg.Connection, catalogue: Catalogue, evaluations: dict, batch: BatchInfo, dq_run_id: int,
            started: float, docs_index: Path | None) -> CheckResult:
    not_passing = [ev for ev in evaluations.values() if ev.status in ("fail", "error")]
    blocking = tuple(ev.rule.id for ev in not_passing if ev.rule.blocks)
    warning = tuple(ev.rule.id for ev in not_passing if ev.rule.kind == "fault" and not ev.rule.blocks)
    errors = tuple(ev.rule.id for ev in not_passing if ev.status == "error")
    exceptions = {ev.rule.id: ev.rows_failing for ev in not_passing if ev.rule.kind == "exception"}
    skipped = sum(1 for ev in evaluations.values() if ev.status == "skipped")
    outcome = "block" if blocking else "warn" if warning else "pass"
    fault_records, exception_records = conn.execute(
        "select count(distinct (table_name, record_key)) filter (where kind = 'fault'), "
        "count(distinct (table_name, record_key)) filter (where kind = 'exception') "
        "from ops.dq_failing_records where dq_run_id = %s", (dq_run_id,)).fetchone()
    seconds = time.monotonic() - started
    conn.execute(
        "update ops.dq_runs set finished_at = now(), outcome = %s, rules_evaluated = %s, rules_failed_block = %s, "
        "rules_failed_warn = %s, rules_failed_error = %s, fault_records = %s, exception_records = %s, "
        "detail = detail || %s where dq_run_id = %s",
        (outcome, len(evaluations) - skipped, len(blocking), len(warning), len(errors), fault_records,
         exception_records, json.dumps({"seconds": round(seconds, 2), "skipped": skipped,
                                        "data_docs": str(docs_index) if docs_index else None}),
         dq_run_id))
    if batch.status in batches.CANDIDATE:
        if blocking:
            batches.mark_blocked(conn, batch.batch_id, blocking)
        else:
            batches.mark_checked(conn, batch.batch_id)
    return CheckResult(
        batch_id=batch.batch_id, dq_run_id=dq_run_id, la_code=batch.la_code, extract_date=batch.extract_date,
        outcome=outcome, blocking_rules=blocking, warning_rules=warning, error_rules=errors, exceptions=exceptions,
        rules_evaluated=len(evaluations) - skipped, rules_skipped=skipped, fault_records=fault_records,
        exception_records=exception_records, data_docs_path=docs_index,
        seconds=seconds)


def data_docs_dir(settings: Settings, batch: BatchInfo) -> Path:
    return report_dir(settings, batch.la_code, batch.extract_date) / "data_docs"


def report_dir(settings: Settings, la_code: str, extract_date: date) -> Path:
    return settings.outputs_dir / "dq" / la_code / extract_date.isoformat()


def _publish_outputs(result: CheckResult, settings: Settings, say: Progress, send_alerts: bool) -> CheckResult:
    """The report and the alerts. Neither may change the outcome: a problem is logged and recorded, not raised."""
    from dataclasses import replace

    from csc.quality.notify import send_run_alerts
    from csc.quality.report import write_report

    report_path = None
    try:
        report_path = write_report(result, settings)
        with connect(settings, role=LOADER) as conn:
            conn.execute("update ops.dq_runs set report_path = %s where dq_run_id = %s",
                         (str(report_path), result.dq_run_id))
        say(f"Report: {report_path}")
    except Exception:
        log.exception("data-quality report of run %s (batch %s) could not be written", result.dq_run_id,
                      result.batch_id)
    result = replace(result, report_path=report_path)
    alerts: tuple = ()
    if send_alerts:
        try:
            alerts = tuple(send_run_alerts(result, settings))
            for alert in alerts:
                say(f"Alert {alert.key}: {alert.status}" + (f" ({alert.detail})" if alert.detail else ""))
        except Exception:
            log.exception("data-quality alerts of run %s (batch %s) could not be prepared", result.dq_run_id,
                          result.batch_id)
    return replace(result, alerts=alerts)
