"""Airflow callbacks. Imported by the DAG files, so they import nothing heavy at module level."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def record_task_failure(context: dict[str, Any]) -> None:
    """A task failed for good (no retry left, or a fault that is never retried): record the LA's run as failed or
    blocked in ``ops`` and e-mail the LA's failure recipients, once per run (key ``failure:<dag_id>:<run_id>``).

    A run that failed because its extract never arrived already sent the late-extract alert: no second e-mail.
    """
    from csc.orchestration.failures import failure_status
    from csc.pipeline import RunRef, finish_run

    ti = context["ti"]
    exception = context.get("exception")
    dag_id, run_id = ti.dag_id, ti.run_id
    run = ti.xcom_pull(task_ids="start_run")
    status = failure_status(exception) if isinstance(exception, BaseException) else "failed"
    error = f"{type(exception).__name__}: {exception}" if exception is not None else "unknown error"
    cause = getattr(exception, "__cause__", None)
    if cause is not None:
        error += f" (caused by {type(cause).__name__})"
    if run:
        try:
            finish_run(RunRef.from_xcom(run), status, failed_task=ti.task_id, error=error)
        except Exception:  # the warehouse may be what failed: still try to alert
            log.exception("could not record the failure of run %s in ops", run)
    else:
        log.warning("task %s failed before the run was recorded: %s", ti.task_id, error)
    if getattr(exception, "alerted", False):
        return
    la_code = run["la_code"] if run else _la_code_of(dag_id)
    if la_code is None:
        return
    try:
        _failure_alert(la_code, run, dag_id, run_id, ti.task_id, status, error)
    except Exception:  # an alert that cannot go out must not hide the failure itself
        log.exception("could not send the failure alert of %s %s", dag_id, run_id)


def _la_code_of(dag_id: str) -> str | None:
    for prefix in ("csc_nightly_", "csc_quarterly_return_"):
        if dag_id.startswith(prefix):
            return dag_id[len(prefix):]
    return None


def _failure_alert(la_code: str, run: dict | None, dag_id: str, run_id: str, task_id: str, status: str,
                   error: str) -> None:
    from csc.alerts import recipients_for, send_alert
    from csc.pipeline import local_authority
    from csc.settings import get_settings

    settings = get_settings()
    la = local_authority(la_code, settings)
    night = f" for {run['extract_date']}" if run else ""
    what = "blocked by data quality" if status == "blocked" else "failed"
    from csc.alerts.templates import render_alert

    alert = render_alert("failure", dag_id=dag_id, night=night, what=what, task_id=task_id, la_name=la.name,
                         la_code=la_code, run_id=run_id, error=error, blocked=status == "blocked")
    send_alert("failure", f"failure:{dag_id}:{run_id}", recipients_for(la_code, "failures", settings), alert.subject,
               alert.text, settings, la_code=la_code, batch_id=None)
