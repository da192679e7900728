"""Where an alert goes: SMTP (the Airflow connection, through the SMTP provider's hook), the .eml outbox, a webhook."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from csc.alerts.message import AlertMessage
from csc.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    name: str
    send: Callable[[AlertMessage, list[str]], str | None]  # returns a detail to record (e.g. the .eml path)


def choose_channel(settings: Settings) -> Channel:
    """SMTP when the Airflow connection is defined, else the outbox folder (the embedded default)."""
    if smtp_configured(settings):
        return Channel("smtp", lambda message, to: send_smtp(settings, message, to))
    return Channel("outbox", lambda message, to: str(write_outbox(settings, message, to)))


def smtp_configured(settings: Settings) -> bool:
    """Whether the SMTP connection exists: from the environment (``AIRFLOW_CONN_<ID>``, which the CLI and every
    Airflow component read), or, inside a running Airflow task, from Airflow's own connection store."""
    conn_id = settings.smtp_conn_id.strip()
    if not conn_id:
        return False
    if os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"):
        return True
    if "airflow.sdk" not in sys.modules:  # not inside Airflow: do not pay the Airflow import to find nothing
        return False
    try:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        SmtpHook.get_connection(conn_id)
        return True
    except Exception as exc:  # not found, or no connection store reachable: the outbox will do
        log.info("SMTP connection %r not available (%s): alerts go to the outbox", conn_id, exc)
        return False


def send_smtp(settings: Settings, message: AlertMessage, recipients: list[str]) -> str:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=settings.smtp_conn_id) as hook:
        hook.send_email_smtp(
            to=recipients,
            subject=message.subject,
            html_content=message.html or f"<pre>{escape(message.text)}</pre>",
            from_email=hook.from_email or settings.alert_from,
            mime_subtype="alternative",
            custom_headers={"X-CSC-Alert-Key": message.key},
        )
    return f"SMTP connection {settings.smtp_conn_id}"


def write_outbox(settings: Settings, message: AlertMessage, recipients: list[str]) -> Path:
    """The alert as an .eml file any mail client opens; written atomically, named after its key."""
    outbox = settings.outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / (re.sub(r"[^A-Za-z0-9_.-]+", "_", message.key) + ".eml")
    temporary = path.with_suffix(".eml.part")
    temporary.write_bytes(message.as_email(settings.alert_from, recipients).as_bytes())
    temporary.replace(path)
    return path


def post_webhook(settings: Settings, message: AlertMessage) -> str:
    """Post the subject and text to a Teams or Slack incoming webhook (both accept ``{"text": ...}``)."""
    url = settings.alert_webhook_url.get_secret_value()
    body = json.dumps({"text": f"*{message.subject}*\n\n{message.text}"}).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (URL from configuration)
        if response.status >= 300:
            raise RuntimeError(f"webhook answered HTTP {response.status}")
    return "webhook"
