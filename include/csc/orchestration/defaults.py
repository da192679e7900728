"""What every DAG of this product shares: its owner, and how its tasks retry and report failure.

Imported by the DAG files, so it imports nothing heavy at module level.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from csc.orchestration.callbacks import record_task_failure
from csc.settings import Settings

OWNER = "csc-data-engineering"


def default_task_args(settings: Settings) -> dict[str, Any]:
    """Retries with exponential backoff (only transient failures are retried: see ``failures.retry_only_transient``)
    and the failure callback that records the run and e-mails the LA's data engineers once."""
    return {
        "owner": OWNER,
        "retries": settings.task_retries,
        "retry_delay": timedelta(seconds=settings.retry_delay_seconds),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(seconds=settings.max_retry_delay_seconds),
        "on_failure_callback": record_task_failure,
    }
