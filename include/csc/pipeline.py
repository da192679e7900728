"""The nightly run of one LA as plain functions. The DAG's tasks are two-line wrappers around these; the build step
is the Cosmos task of ``csc.orchestration.dbt_build`` (around ``csc.transform.build.DbtBuild``).

Every step is a transaction in the sense of STYLE.md: re-running it gives the same result. A step that finds its
work already done (the extract already loaded, the batch already checked or published) does nothing and says so,
which makes a second ``make run`` and task retries safe. Each run and step is recorded in ``ops.pipeline_runs`` and
``ops.pipeline_steps`` with its timings and outcome.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from csc.batches import SETTLED
from csc.las import LocalAuthority, la_registry
from csc.settings import Settings, get_settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

log = logging.getLogger(__name__)


class ExtractNotFound(FileNotFoundError):
    """The night's extract has not arrived (yet)."""


class DataQualityBlocked(RuntimeError):
    """A blocking data-quality rule failed: the batch must not be published."""


@dataclass(frozen=True)
class RunRef:
    run_id: int
    la_code: str
    extract_date: date

    def to_xcom(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "la_code": self.la_code, "extract_date": self.extract_date.isoformat()}

    @classmethod
    def from_xcom(cls, value: dict[str, Any]) -> RunRef:
        return cls(run_id=int(value["run_id"]), la_code=str(value["la_code"]),
                   extract_date=date.fromisoformat(str(value["extract_date"])))


def local_authority(la_code: str, settings: Settings | None = None) -> LocalAuthority:
    """The configured LA ``la_code`` (:class:`csc.las.UnknownLA`, a KeyError naming the file, if there is none)."""
    return la_registry(settings or get_settings()).get(la_code)


def extract_dir(la_code: str, extract_date: date, settings: Settings | None = None) -> Path:
    """Where the night's extract lands: ``<landing>/<la_code>/<YYYY-MM-DD>/``."""
    settings = settings or get_settings()
    la = local_authority(la_code, settings)
    return la.landing_dir(settings.landing_dir) / extract_date.isoformat()


def extract_arrived(la_code: str, extract_date: date, settings: Settings | None = None) -> Path | None:
    """The extract folder once its manifest is there (the manifest is written last), or its export job's completion
    marker for an LA whose extracts come without a manifest (las.yml ``export: manifest: optional``), or
    ``<date>.zip``, else None."""
    folder = extract_dir(la_code, extract_date, settings)
    if (folder / "manifest.json").is_file():
        return folder
    marker = local_authority(la_code, settings).export.ready_marker()
    if marker is not None and (folder / marker).is_file():
        return folder
    archive = folder.with_name(folder.name + ".zip")
    return archive if archive.is_file() else None


# --- run and step records ---------------------------------------------------------------------------------------
def start_run(la_code: str, extract_date: date, *, dag_id: str | None = None, airflow_run_id: str | None = None,
              settings: Settings | None = None) -> RunRef:
    """Open (or, for a retried Airflow run, reopen) the run record."""
    settings = settings or get_settings()
    with connect(settings, role=LOADER) as conn:
        row = None
        if airflow_run_id is not None:
            row = conn.execute(
                "update ops.pipeline_runs set status = 'running', finished_at = null "
                "where dag_id = %s and airflow_run_id = %s returning run_id",
                (dag_id, airflow_run_id)).fetchone()
        if row is None:
            row = conn.execute(
                "insert into ops.pipeline_runs (la_code, dag_id, airflow_run_id, started_at, status, detail) "
                "values (%s, %s, %s, now(), 'running', %s) returning run_id",
                (la_code, dag_id, airflow_run_id, json.dumps({"extract_date": extract_date.isoformat()}))).fetchone()
    return RunRef(run_id=row[0], la_code=la_code, extract_date=extract_date)


def finish_run(run: RunRef, status: str, *, batch_id: int | None = None, settings: Settings | None = None,
               **detail: Any) -> None:
    settings = settings or get_settings()
    with connect(settings, role=LOADER) as conn:
        conn.execute(
            "update ops.pipeline_runs set status = %s, finished_at = now(), "
            "batch_id = coalesce(%s, batch_id), detail = detail || %s::jsonb where run_id = %s",
            (status, batch_id, json.dumps(detail, default=str), run.run_id))


@contextmanager
def recorded_step(run: RunRef, step: str, settings: Settings | None = None) -> Iterator[dict[str, Any]]:
    """Record a step's timing and outcome; the caller fills the yielded dict with what the step found."""
    settings = settings or get_settings()
    detail: dict[str, Any] = {}
    with connect(settings, role=LOADER) as conn:
        conn.execute(
            "insert into ops.pipeline_steps (run_id, step, started_at, status) values (%s, %s, now(), 'running') "
            "on conflict (run_id, step) do update set started_at = now(), finished_at = null, "
            "status = 'running', detail = '{}', client = default",
            (run.run_id, step))
    started = time.monotonic()
    status = "failed"
    try:
        yield detail
        status = "skipped" if detail.get("skipped") else "success"
    except Exception as exc:
        detail["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        detail["seconds"] = round(time.monotonic() - started, 3)
        with connect(settings, role=LOADER) as conn:
            conn.execute(
                "update ops.pipeline_steps set finished_at = now(), status = %s, detail = %s::jsonb "
                "where run_id = %s and step = %s",
                (status, json.dumps(detail, default=str), run.run_id, step))


def batch_status(batch_id: int, settings: Settings | None = None) -> str:
    """The batch's lifecycle status (the text of a ``csc.batches.BatchStatus``)."""
    from csc import batches

    settings = settings or get_settings()
    with connect(settings, role=LOADER) as conn:
        return batches.status_of(conn, batch_id).value


# --- the steps --------------------------------------------------------------------------------------------------
def load_step(run: RunRef, settings: Settings | None = None) -> dict[str, Any]:
    """Verify and load the night's extract into raw (a no-op if this exact extract is already loaded)."""
    from csc.ingest import load_extract

    settings = settings or get_settings()
    folder = extract_arrived(run.la_code, run.extract_date, settings)
    if folder is None:
        from csc.ingest import loaded_batch

        loaded = loaded_batch(run.la_code, run.extract_date, settings)
        if loaded is not None:  # loaded by an earlier attempt or run, then archived out of landing
            with recorded_step(run, "load", settings) as detail:
                detail.update(batch_id=loaded[0], status="skipped", skipped=True,
                              reason=f"extract already loaded as batch {loaded[0]} ({loaded[1]})")
            return {"batch_id": loaded[0], "status": "skipped"}
        marker = local_authority(run.la_code, settings).export.ready_marker()
        raise ExtractNotFound(f"No extract for LA {run.la_code} dated {run.extract_date}: expected "
                              f"{extract_dir(run.la_code, run.extract_date, settings)}/manifest.json"
                              + (f" or {marker}" if marker else ""))
    with recorded_step(run, "load", settings) as detail:
        result = load_extract(folder, settings)
        detail.update(batch_id=result.batch_id, status=result.status, skipped=result.status == "skipped",
                      rows=sum(result.rows.values()) if result.rows else 0)
        if result.status == "loaded":
            detail["analyze_seconds"] = analyze_raw(settings)
            detail["changes"] = record_changes(result.batch_id, settings)
    return {"batch_id": result.batch_id, "status": result.status}


def record_changes(batch_id: int, settings: Settings) -> dict[str, int]:
    """The loaded batch's change summary since the LA's published extract (``csc.ingest.changes``), in ops."""
    from csc.ingest.changes import compute_changes

    summaries = compute_changes(batch_id, settings)
    return {"new": sum(s.new for s in summaries), "changed": sum(s.changed for s in summaries),
            "deleted": sum(s.deleted for s in summaries), "warnings": sum(1 for s in summaries if s.warning)}


def extract_step(run: RunRef, settings: Settings | None = None) -> dict[str, Any]:
    """Read the night's SSD from the LA's source database into landing (``csc.extract``); the load step follows.

    Done already when the night's extract is in landing or loaded. Transient failures (lost connection, deadlock
    victim, timeout, a rebuild that kept interfering) raise :class:`csc.extract.SourceTransient`, a
    ``ConnectionError`` that the nightly task retries with backoff; a refusal fails the run at once.
    """
    from datetime import UTC, datetime, timedelta

    from csc.extract import SourceRefused, extract_source

    settings = settings or get_settings()
    with recorded_step(run, "extract", settings) as detail:
        la = local_authority(run.la_code, settings)
        too_late = la.deadline_for(run.extract_date) + timedelta(days=1) < datetime.now(UTC)
        if too_late and extract_arrived(run.la_code, run.extract_date, settings) is None:
            from csc.ingest import loaded_batch

            if loaded_batch(run.la_code, run.extract_date, settings) is None:
                raise SourceRefused("too_late", f"the night of {run.extract_date} cannot be extracted any more: "
                                                f"LA {run.la_code}'s source database holds only its current state "
                                                "(a catch-up night of a source database is not run)")
        result = extract_source(run.la_code, run.extract_date, settings)
        detail.update(status=result.status, skipped=result.status == "skipped", folder=str(result.folder),
                      rows=result.total_rows, attempts=result.attempts, message=result.message)
    return {"folder": str(result.folder), "status": result.status}


def analyze_raw(settings: Settings) -> float:
    """Refresh the planner's statistics of ``raw`` after a load, before the checks and dbt read the new batch.

    Without it the planner still believes the new batch id has no rows (autovacuum's analyze comes later, if at
    all), and picks nested loops that turn the checks' and dbt's joins over a county batch from seconds into many
    minutes. ANALYZE needs the tables' owner (csc_owner, whom the configured login can act as).
    """
    from psycopg import sql

    from csc.warehouse.bootstrap import OWNER

    started = time.monotonic()
    with connect(settings, role=OWNER, autocommit=True, application="csc load") as conn:
        tables = [r[0] for r in conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'raw' and c.relkind in ('r', 'p') order by 1").fetchall()]
        for table in tables:
            conn.execute(sql.SQL("analyze {}").format(sql.Identifier("raw", table)))
    return round(time.monotonic() - started, 3)


def check_step(run: RunRef, batch_id: int, settings: Settings | None = None) -> dict[str, Any]:
    """Run the data-quality catalogue on the batch; raise DataQualityBlocked if a blocking rule fails."""
    from csc.quality import run_checks

    settings = settings or get_settings()
    with recorded_step(run, "check", settings) as detail:
        status = batch_status(batch_id, settings)
        if status == "checked" or status in SETTLED:
            detail.update(skipped=True, reason=f"batch {batch_id} already {status}")
            return {"batch_id": batch_id, "outcome": "already checked"}
        result = run_checks(batch_id, settings, expected_extract_date=run.extract_date)
        detail.update(outcome=result.outcome, blocking=list(result.blocking_rules),
                      failing_warn=list(result.warning_rules))
        if result.outcome == "block":
            raise DataQualityBlocked(
                f"Batch {batch_id} (LA {run.la_code}, {run.extract_date}) is blocked by data-quality rules: "
                + ", ".join(result.blocking_rules) + ". Nothing of this batch is published.")
    return {"batch_id": batch_id, "outcome": result.outcome}


def publish_step(run: RunRef, batch_id: int, settings: Settings | None = None) -> dict[str, Any]:
    """Make the new marts visible to BI atomically and mark the batch published."""
    from csc.transform import publish

    settings = settings or get_settings()
    with recorded_step(run, "publish", settings) as detail:
        if batch_status(batch_id, settings) in SETTLED:
            detail.update(skipped=True, reason=f"batch {batch_id} already published")
            return {"batch_id": batch_id, "skipped": True}
        publish(settings)
        detail.update(batch_id=batch_id)
    return {"batch_id": batch_id, "published": True}


def purge_step(run: RunRef, settings: Settings | None = None) -> dict[str, Any]:
    """Delete what the LA's local stores keep past its retention (csc.retention), never this night's files nor the
    last published extract's. A file that cannot be deleted is recorded and logged, not a failure of the night."""
    from csc.retention import purge

    settings = settings or get_settings()
    with recorded_step(run, "purge", settings) as detail:
        report = purge(settings, la_codes=[run.la_code], also_protect={run.la_code: run.extract_date})
        detail.update(report.as_detail())
        for error in report.errors:
            log.warning("retention: %s", error)
    return report.as_detail()


def readiness_step(run: RunRef, batch_id: int, settings: Settings | None = None) -> dict[str, Any]:
    """Nightly return readiness (csc.statutory.readiness), after publication: build the current collection year's
    903 and CIN files, run the DfE validators, store their verdict, then write the night's DQ report again with its
    "Return readiness" section and e-mail that section to the performance leads.

    Validator errors are what it reports, not a failure of the night. It is switched off by las.yml
    ``statutory_readiness: false`` or CSC_STATUTORY_READINESS=false; without the validators' environment it records
    and reports "not run" (never a silent pass). A crash of the build or of a validator does not fail the night,
    already published: it is recorded and reported "not run" with its reason (csc.statutory.readiness.crash_reason),
    and the files it had written (child ids) are removed."""
    from csc.statutory.readiness import crash_reason, current_year, nightly_readiness, record
    from csc.statutory.validate import validators_python
    from csc.statutory.years import StatutoryError

    settings = settings or get_settings()
    la = local_authority(run.la_code, settings)
    with recorded_step(run, "readiness", settings) as detail:
        detail["collection_year"] = current_year(run.extract_date).name
        reason = None
        status = "not_run"
        if not settings.statutory_readiness or not la.statutory_readiness:
            status = "disabled"
            reason = ("switched off by CSC_STATUTORY_READINESS=false" if not settings.statutory_readiness
                      else f"switched off for LA {la.code} (statutory_readiness: false in {settings.las_config})")
        else:
            try:
                validators_python()
            except StatutoryError as exc:
                reason = str(exc)
                log.warning("return readiness of LA %s not run: %s", run.la_code, reason)
        with connect(settings, role=LOADER) as conn:
            before = {r[0] for r in conn.execute(
                "select status from ops.statutory_readiness where run_id = %s and batch_id = %s",
                (run.run_id, batch_id)).fetchall()}
        if "done" in before:
            detail.update(skipped=True, reason=f"readiness of batch {batch_id} already done in this run")
            return {"batch_id": batch_id, "status": "already done"}
        if reason is not None:
            if status not in before:  # a re-run of a switched-off night records nothing new
                record(settings, run.la_code, run.extract_date, status, run_id=run.run_id, batch_id=batch_id,
                       detail=reason)
            detail.update(skipped=True, status=status, reason=reason)
            if status == "not_run":
                detail.update(_readiness_outputs(run, batch_id, settings))
            return {"batch_id": batch_id, "status": status, "reason": reason}
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        folders = settings.outputs_dir / "statutory" / run.la_code
        folder = folders / f"readiness-{detail['collection_year']}-{stamp}"
        try:
            result = nightly_readiness(settings, run.la_code, run.extract_date, ons_code=la.ons_code, folder=folder)
        except Exception as exc:  # the night is published: a readiness crash is "not run", not a failed night
            log.exception("return readiness of LA %s crashed", run.la_code)
            reason = crash_reason(exc)
            shutil.rmtree(folder, ignore_errors=True)
            record(settings, run.la_code, run.extract_date, "not_run", run_id=run.run_id, batch_id=batch_id,
                   detail=reason)
            detail.update(skipped=True, status="not_run", reason=reason)
            detail.update(_readiness_outputs(run, batch_id, settings))
            return {"batch_id": batch_id, "status": "not_run", "reason": reason}
        record(settings, run.la_code, run.extract_date, "done", run_id=run.run_id, batch_id=batch_id,
               validation_run_ids=[r.validation_run_id for r in result.returns])
        # The files carry child ids and their verdict is in ops: only the latest night's are kept.
        for old in folders.glob("readiness-*"):
            if old != folder and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        detail["folder"] = str(folder)
        detail.update(status="done", returns={
            r.kind: {"ruleset": r.ruleset, "validation_run_id": r.validation_run_id, "errors": r.errors,
                     "rules": len(r.errors_by_rule), "new": len(r.new), "resolved": len(r.resolved),
                     "not_run": r.not_run} for r in result.returns})
        detail.update(_readiness_outputs(run, batch_id, settings))
    return {"batch_id": batch_id, "status": "done"}


def _readiness_outputs(run: RunRef, batch_id: int, settings: Settings) -> dict[str, Any]:
    """The DQ report written again and the leads' e-mail; neither may fail the step (logged and recorded)."""
    from csc.quality.notify import send_readiness_alert
    from csc.quality.report import rewrite_report

    out: dict[str, Any] = {}
    report_path = None
    try:
        report_path = rewrite_report(settings, batch_id)
        out["report"] = str(report_path) if report_path else None
    except Exception as exc:
        log.exception("return readiness: the DQ report of batch %s could not be written again", batch_id)
        out["report_error"] = f"{type(exc).__name__}: {exc}"
    try:
        alert = send_readiness_alert(settings, run.la_code, batch_id, report_path)
        out["alert"] = f"{alert.key}: {alert.status}" if alert else None
    except Exception as exc:
        log.exception("return readiness: the performance leads' e-mail of batch %s could not be sent", batch_id)
        out["alert_error"] = f"{type(exc).__name__}: {exc}"
    return out
