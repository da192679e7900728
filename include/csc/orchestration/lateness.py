"""Lateness: the nightly run of an extract date must have finished by the LA's deadline on the morning after.

The run checks it where it can act without blocking anything: at the start and end of every step, and while
waiting for the extract (the trigger wakes at the deadline). The first check that finds the run unfinished after
the deadline sends one alert to the LA's data engineers (key ``late-run:<dag_id>:<run_id>``; ``ops.alerts`` makes
it once per run, however many tasks check or retry). Runs of nights whose deadline passed more than
``WATCH_WINDOW`` ago are catch-up runs (a backfill of old extracts): being after their deadline is expected, and
they raise no lateness alert.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

log = logging.getLogger(__name__)

WATCH_WINDOW = timedelta(days=1)


def deadline_for(la_code: str, extract_date: date, settings=None) -> datetime:
    from csc.pipeline import local_authority

    return local_authority(la_code, settings).deadline_for(extract_date)


def watched_deadline(la_code: str, extract_date: date, settings=None, now: datetime | None = None) -> datetime | None:
    """The run's deadline if lateness applies to it (not a catch-up of an old night), else None."""
    deadline = deadline_for(la_code, extract_date, settings)
    now = now or datetime.now(UTC)
    return deadline if now < deadline + WATCH_WINDOW else None


def alert_if_late(la_code: str, extract_date: date, dag_id: str, airflow_run_id: str, *, where: str,
                  settings=None, now: datetime | None = None) -> bool:
    """Send the lateness alert if the (unfinished) run is past its deadline; True if it is late."""
    from csc.alerts import recipients_for, send_alert
    from csc.pipeline import local_authority
    from csc.settings import get_settings

    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    deadline = watched_deadline(la_code, extract_date, settings, now)
    if deadline is None or now < deadline:
        return False
    la = local_authority(la_code, settings)
    from csc.alerts.templates import render_alert

    alert = render_alert("late_run", la_name=la.name, la_code=la_code, extract_date=extract_date, deadline=deadline,
                         where=where, dag_id=dag_id, run_id=airflow_run_id,
                         checked_at=now.astimezone(deadline.tzinfo))
    result = send_alert("lateness", f"late-run:{dag_id}:{airflow_run_id}",
                        recipients_for(la_code, "failures", settings), alert.subject, alert.text, settings,
                        la_code=la_code)
    log.warning("run %s of %s is past its deadline %s (%s): lateness alert %s", airflow_run_id, dag_id, deadline,
                where, result.status)
    return True
