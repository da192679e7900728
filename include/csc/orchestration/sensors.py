"""Waiting for the night's extract to land, without holding a worker slot (a deferrable operator)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pendulum
from airflow.sdk import BaseOperator

from csc.orchestration.triggers import ExtractArrivedTrigger, extract_is_ready


class ExtractArrivedSensor(BaseOperator):
    """Done when ``<landing>/<la>/<extract date>/manifest.json`` (or ``<date>.zip``) exists, or the night is
    already loaded (a loaded extract is archived and leaves landing, so a re-run finds it done).

    While the extract is missing the task defers to :class:`ExtractArrivedTrigger` on the triggerer. At the LA's
    deadline the trigger wakes the task, which sends the lateness alert and waits on; after the LA's
    ``extract_wait`` it sends the late-extract alert (``late-extract:<dag_id>:<run_id>``) and fails without retry. A
    catch-up night (deadline over a day ago, see :mod:`csc.orchestration.lateness`) does not wait: its extract is in
    landing, already loaded, or missing (the same alert, at once).
    ``run`` is the run record returned by the ``start_run`` task. Its XCom value is the extract folder.
    """

    template_fields = ("run",)
    ui_color = "#e8f0fe"

    def __init__(self, *, run: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run

    def _night(self) -> tuple[str, Any]:
        return self.run["la_code"], pendulum.parse(self.run["extract_date"]).date()

    def execute(self, context: Any) -> str:
        from csc.ingest import loaded_batch
        from csc.orchestration.failures import RunFailed, retry_only_transient
        from csc.orchestration.lateness import alert_if_late, watched_deadline
        from csc.pipeline import extract_dir, local_authority
        from csc.settings import get_settings

        settings = get_settings()
        la_code, extract_date = self._night()
        folder = extract_dir(la_code, extract_date, settings)
        with retry_only_transient():
            marker = local_authority(la_code, settings).export.ready_marker()
            if extract_is_ready(str(folder), marker):
                self.log.info("The extract of LA %s dated %s is there: %s", la_code, extract_date, folder)
                return str(folder)
            loaded = loaded_batch(la_code, extract_date, settings)
            if loaded is not None:
                self.log.info("The extract of LA %s dated %s is already loaded (batch %s, %s)", la_code,
                              extract_date, *loaded)
                return str(folder)
            now = datetime.now(UTC)
            if watched_deadline(la_code, extract_date, settings, now) is None:
                # A catch-up night (its deadline passed over a day ago): its extract is there or it is missing.
                _late_extract_alert(la_code, extract_date, context, str(folder), settings, waited=False)
                raise RunFailed(f"No extract for LA {la_code} dated {extract_date} in {folder}: a catch-up night "
                                "does not wait for its extract", status="failed", alerted=True)
            late = alert_if_late(la_code, extract_date, context["dag"].dag_id, context["run_id"],
                                 where="waiting for the extract", settings=settings, now=now)
            deadline = None if late else watched_deadline(la_code, extract_date, settings, now)
            give_up_at = now + local_authority(la_code, settings).extract_wait
        self.log.info("No extract yet for LA %s dated %s in %s: waiting on the triggerer until %s", la_code,
                      extract_date, folder, give_up_at)
        self._wait(folder, give_up_at, deadline, settings, marker)

    def _wait(self, folder: Any, give_up_at: datetime, late_at: datetime | None, settings: Any,
              marker: str | None = None) -> None:
        trigger = ExtractArrivedTrigger(folder=str(folder), poll_seconds=settings.extract_poll_seconds,
                                        give_up_at=give_up_at.isoformat(),
                                        late_at=late_at.isoformat() if late_at else None, marker=marker)
        self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context: Any, event: dict[str, Any]) -> str:
        from csc.orchestration.failures import RunFailed, retry_only_transient
        from csc.orchestration.lateness import alert_if_late
        from csc.settings import get_settings

        settings = get_settings()
        la_code, extract_date = self._night()
        status, give_up_at = event["status"], event["give_up_at"]
        if status == "arrived":
            self.log.info("The extract of LA %s dated %s arrived: %s", la_code, extract_date, event["folder"])
            return event["folder"]
        if status == "late":
            with retry_only_transient():
                alert_if_late(la_code, extract_date, context["dag"].dag_id, context["run_id"],
                              where="waiting for the extract", settings=settings)
            from csc.pipeline import local_authority

            self._wait(event["folder"], datetime.fromisoformat(give_up_at), None, settings,
                       local_authority(la_code, settings).export.ready_marker())
        with retry_only_transient():
            _late_extract_alert(la_code, extract_date, context, event["folder"], settings)
        raise RunFailed(f"No extract for LA {la_code} dated {extract_date} arrived in {event['folder']} by "
                        f"{give_up_at}: gave up waiting", status="failed", alerted=True)


def _late_extract_alert(la_code: str, extract_date: Any, context: Any, folder: str, settings: Any, *,
                        waited: bool = True) -> None:
    from csc.alerts import recipients_for, send_alert
    from csc.pipeline import local_authority

    la = local_authority(la_code, settings)
    dag_id, run_id = context["dag"].dag_id, context["run_id"]
    from csc.alerts.templates import render_alert

    alert = render_alert("late_extract", la_name=la.name, la_code=la_code, extract_date=extract_date, waited=waited,
                         extract_wait=la.extract_wait, folder=folder, dag_id=dag_id, run_id=run_id)
    send_alert("late_extract", f"late-extract:{dag_id}:{run_id}", recipients_for(la_code, "failures", settings),
               alert.subject, alert.text, settings, la_code=la_code)
