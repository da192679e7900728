"""Airflow callbacks. Imported by the DAG files, so they import nothing heavy at module level."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def record_task_failure(context: dict[str, Any]) -> None:
    """Mark the LA's pipeline run failed in ``ops`` when a task fails for good (after its retries)."""
    from csc.pipeline import RunRef, finish_run

    ti = context["ti"]
    run = context["ti"].xcom_pull(task_ids="start_run")
    exception = context.get("exception")
    if not run:
        log.warning("task %s failed before the run was recorded: %s", ti.task_id, exception)
        return
    status = "blocked" if type(exception).__name__ == "DataQualityBlocked" else "failed"
    finish_run(RunRef(**run), status, failed_task=ti.task_id, error=f"{type(exception).__name__}: {exception}")
