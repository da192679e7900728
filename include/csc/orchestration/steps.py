"""What every nightly task does around its ``csc.pipeline`` step: lateness checks, the retry policy, the test hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_step(step: str, run: dict[str, Any], action: Callable[[Any], dict[str, Any]], context: Any, *,
             inject: bool = True) -> dict[str, Any]:
    """Run ``action(RunRef)`` as the nightly ``step``: only transient errors are retried, every other failure fails
    the task at once; before and after, a run past its deadline raises the (once per run) lateness alert."""
    from csc.orchestration.failures import inject_transient_failure, retry_only_transient
    from csc.orchestration.lateness import alert_if_late
    from csc.pipeline import RunRef
    from csc.settings import get_settings

    settings = get_settings()
    ref = RunRef.from_xcom(run)
    dag_id, run_id = context["dag"].dag_id, context["run_id"]
    with retry_only_transient():
        alert_if_late(ref.la_code, ref.extract_date, dag_id, run_id, where=f"before {step}", settings=settings)
        if inject:
            inject_transient_failure(step, settings)
        result = action(ref)
        if step != "finish":
            alert_if_late(ref.la_code, ref.extract_date, dag_id, run_id, where=f"after {step}", settings=settings)
    return result
