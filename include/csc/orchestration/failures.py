"""Which failures a nightly task retries, and the alert the LA's data engineers get when a run fails.

Only transient failures are retried (with exponential backoff): a lost or refused database connection, a server
restarting, a network timeout. Everything else is a fault that another attempt would only repeat (a refused
extract, a blocking data-quality rule, a failing dbt test, a bug): the task fails at once with
:class:`RunFailed`, an ``AirflowFailException``, which Airflow never retries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from csc.warehouse.connection import cause_chain

log = logging.getLogger(__name__)

# dbt reports a lost connection as a node error message, not as an exception of ours.
_DBT_CONNECTION_ERRORS = ("could not connect", "connection refused", "server closed the connection",
                          "terminating connection", "connection reset", "connection timed out", "connection to server")


class RunFailed(AirflowFailException):
    """A non-transient failure: no retry. ``status`` is what ops.pipeline_runs records (``failed`` or ``blocked``);
    ``alerted`` says the data engineers already had an alert about it (e.g. the extract never arrived)."""

    def __init__(self, message: str, *, status: str = "failed", alerted: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.alerted = alerted


def is_transient(exc: BaseException) -> bool:
    """A connection-level problem worth retrying (anywhere in the exception's cause chain)."""
    import psycopg
    import psycopg2

    for item in cause_chain(exc):
        if isinstance(item, psycopg.OperationalError | psycopg.InterfaceError | psycopg2.OperationalError
                      | psycopg2.InterfaceError | ConnectionError | TimeoutError):
            return True
        if type(item).__name__ == "BuildFailed":
            result = getattr(item, "result", None)
            messages = [getattr(n, "message", None) or "" for n in getattr(result, "nodes", [])]
            messages.append(getattr(result, "message", None) or "")
            if any(marker in m.lower() for m in messages for marker in _DBT_CONNECTION_ERRORS):
                return True
    return False


def failure_status(exc: BaseException) -> str:
    if isinstance(exc, RunFailed):
        return exc.status
    return "blocked" if any(type(e).__name__ == "DataQualityBlocked" for e in cause_chain(exc)) else "failed"


@contextmanager
def retry_only_transient() -> Iterator[None]:
    """Let transient errors through (Airflow retries them); turn every other error into a :class:`RunFailed`."""
    try:
        yield
    except AirflowException:
        raise  # Airflow's own signals (skip, fail, sensor timeout...) keep their meaning
    except Exception as exc:
        if is_transient(exc):
            log.warning("transient failure, the task will be retried: %s: %s", type(exc).__name__, exc)
            raise
        raise RunFailed(f"{type(exc).__name__}: {exc}", status=failure_status(exc)) from exc


def inject_transient_failure(step: str, settings: Any) -> None:
    """Testing hook (setting ``inject_transient_failure = STEP:MARKER``): fail ``step`` once with a real connection
    error, by connecting to a port nothing listens on. The marker file makes it happen once only."""
    spec = settings.inject_transient_failure
    if not spec:
        return
    wanted, _, marker = spec.partition(":")
    if wanted != step or not marker:
        return
    from pathlib import Path

    import psycopg

    path = Path(marker)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x") as handle:  # only the first attempt gets here
            handle.write(f"{step}\n")
    except FileExistsError:
        return
    log.warning("test hook: injecting a connection failure into step %s", step)
    psycopg.connect("host=127.0.0.1 port=9 dbname=none user=none connect_timeout=2")  # raises OperationalError
