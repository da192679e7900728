"""Alerts: e-mail over SMTP (an Airflow connection), an outbox of .eml files, an optional Teams/Slack webhook.

One call, :func:`send_alert`, for every part of the product: the data-quality checks (performance leads) and the
orchestration (failures and lateness, data engineers). Each alert has a key (``dq:<la>:<batch>``,
``failure:<dag>:<run>``...) that ``ops.alerts`` holds once: the same key is never sent twice, whoever asks and however
often a task is retried. A failed send is retried, logged and recorded; it never raises, because an alert that cannot
go out must not fail the data it is about.

Channels, chosen by configuration (``csc.settings``):

* SMTP when the Airflow connection ``smtp_conn_id`` (default ``csc_smtp``, e.g. from ``AIRFLOW_CONN_CSC_SMTP``) is
  defined; sent with the SMTP provider's ``SmtpHook``, so the CLI and Airflow tasks read the very same connection;
* otherwise the outbox: one ``.eml`` file per alert under ``outbox_dir`` (the embedded default);
* and, when ``alert_webhook_url`` is set, a post to a Teams or Slack incoming webhook as well.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from csc.alerts.channels import Channel, choose_channel, post_webhook
from csc.alerts.message import AlertMessage
from csc.settings import Settings, get_settings
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

log = logging.getLogger(__name__)

__all__ = ["AlertMessage", "AlertResult", "send_alert", "recipients_for"]


@dataclass(frozen=True)
class AlertResult:
    key: str
    status: str  # sent | written | failed | already sent | no recipients
    channel: str | None = None
    attempts: int = 0
    detail: str | None = None  # where the .eml is, or the last error

    @property
    def delivered(self) -> bool:
        return self.status in ("sent", "written", "already sent")


def send_alert(kind: str, key: str, recipients: Sequence[str], subject: str, body: str,
               settings: Settings | None = None, *, html: str | None = None, la_code: str | None = None,
               batch_id: int | None = None) -> AlertResult:
    """Send one alert, at most once per ``key``; never raises for a delivery problem (it is logged and recorded)."""
    settings = settings or get_settings()
    recipients = [r for r in dict.fromkeys(recipients) if r]
    if not recipients:
        log.warning("alert %s (%s) has no recipients configured: not sent", key, kind)
        return AlertResult(key, "no recipients")
    message = AlertMessage(key=key, subject=subject, text=body, html=html)
    result = _deliver_once(key, kind, recipients, message, settings, la_code, batch_id,
                           lambda: choose_channel(settings))
    if settings.alert_webhook_url is not None:
        _deliver_once(f"{key}:webhook", kind, ["webhook"], message, settings, la_code, batch_id,
                      lambda: Channel("webhook", lambda msg, _to: post_webhook(settings, msg)))
    return result


def recipients_for(la_code: str, audience: str, settings: Settings | None = None) -> list[str]:
    """An LA's recipients from config/las.yml: ``data_quality`` (performance leads) or ``failures`` (engineers)."""
    from csc.las import la_registry

    registry = la_registry(settings or get_settings())
    return list(getattr(registry.get(la_code).alerts, audience)) if la_code in registry else []


def _deliver_once(key: str, kind: str, recipients: list[str], message: AlertMessage, settings: Settings,
                  la_code: str | None, batch_id: int | None, channel_factory: Callable[[], Channel]) -> AlertResult:
    with connect(settings, role=LOADER) as conn, conn.transaction():
        # The row is locked until this transaction ends: a concurrent sender of the same key waits here, then finds
        # it sent. A row left 'failed' (or 'pending' by a crash) is retried by the next caller.
        conn.execute(
            "insert into ops.alerts (alert_key, kind, la_code, batch_id, recipients, subject, status) "
            "values (%s, %s, %s, %s, %s, %s, 'pending') on conflict (alert_key) do nothing",
            (key, kind, la_code, batch_id, recipients, message.subject))
        status, attempts = conn.execute(
            "select status, attempts from ops.alerts where alert_key = %s for update", (key,)).fetchone()
        if status in ("sent", "written"):
            log.info("alert %s already %s: not sent again", key, status)
            return AlertResult(key, "already sent", attempts=attempts)
        channel = channel_factory()
        error = None
        detail = None
        delay = settings.alert_retry_seconds
        for attempt in range(1, settings.alert_send_attempts + 1):
            try:
                detail = channel.send(message, recipients)
                error = None
                break
            except Exception as exc:  # any delivery problem: log, wait, retry; never fail the data
                error = f"{type(exc).__name__}: {exc}"
                log.warning("alert %s via %s: attempt %d of %d failed: %s", key, channel.name, attempt,
                            settings.alert_send_attempts, error)
                if attempt < settings.alert_send_attempts:
                    time.sleep(delay)
                    delay *= 2
        attempts += attempt
        if error is None:
            done = "written" if channel.name == "outbox" else "sent"
            conn.execute(
                "update ops.alerts set status = %s, attempts = %s, last_error = null, sent_at = now(), "
                "recipients = %s, subject = %s where alert_key = %s",
                (done, attempts, recipients, message.subject, key))
            log.info("alert %s %s via %s to %s", key, done, channel.name, ", ".join(recipients))
            return AlertResult(key, done, channel.name, attempts, detail)
        conn.execute("update ops.alerts set status = 'failed', attempts = %s, last_error = %s where alert_key = %s",
                     (attempts, error[:2000], key))
        log.error("alert %s could not be delivered via %s after %d attempts: %s", key, channel.name, attempt, error)
        return AlertResult(key, "failed", channel.name, attempts, error)
