"""send_alert: once per key whoever asks, over a real SMTP server, the outbox or a webhook; a failed send is retried,
recorded and never raised."""

from __future__ import annotations

import email
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from csc.alerts import recipients_for, send_alert
from csc.warehouse.connection import connect

from smtp_sink import SmtpSink, airflow_connection, free_port, start_sink

pytestmark = pytest.mark.integration


def alert_row(settings, key: str) -> tuple:
    with connect(settings) as conn:
        return conn.execute("select status, attempts, recipients, last_error from ops.alerts where alert_key = %s",
                            (key,)).fetchone()


def test_smtp_alert_arrives_once_to_its_recipients(module_settings, monkeypatch):
    sink, controller = start_sink()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_CSC_SMTP", airflow_connection(controller.port))
        to = ["a@testshire.example", "b@testshire.example"]
        first = send_alert("failure", "failure:smtp-once", to, "Nightly run failed", "The load step failed.",
                           module_settings, la_code="999")
        second = send_alert("failure", "failure:smtp-once", to, "Nightly run failed", "The load step failed.",
                            module_settings, la_code="999")
    finally:
        controller.stop()
    assert (first.status, first.channel, second.status) == ("sent", "smtp", "already sent")
    assert len(sink.messages) == 1
    received = sink.messages[0]
    assert sorted(received.recipients) == to
    assert received.sender == "dq@testshire.example"
    assert received.subject == "Nightly run failed"
    assert received.message["X-CSC-Alert-Key"] == "failure:smtp-once"
    assert "The load step failed." in received.body()
    assert alert_row(module_settings, "failure:smtp-once")[:3] == ("sent", 1, to)


def test_a_failed_send_is_retried_recorded_and_not_raised(module_settings, monkeypatch):
    port = free_port()  # nobody listens yet
    monkeypatch.setenv("AIRFLOW_CONN_CSC_SMTP", airflow_connection(port))
    failed = send_alert("lateness", "late:999:2025-03-31", ["a@testshire.example"], "Late", "Not arrived.",
                        module_settings)
    status, attempts, _, error = alert_row(module_settings, "late:999:2025-03-31")
    assert (failed.status, status, attempts) == ("failed", "failed", module_settings.alert_send_attempts)
    assert "refused" in error.lower()

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        retried = send_alert("lateness", "late:999:2025-03-31", ["a@testshire.example"], "Late", "Not arrived.",
                             module_settings)
    finally:
        controller.stop()
    assert retried.status == "sent"
    assert len(sink.messages) == 1
    assert alert_row(module_settings, "late:999:2025-03-31")[:2] == ("sent", module_settings.alert_send_attempts + 1)


def test_without_smtp_each_alert_is_an_eml_in_the_outbox(module_settings, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_CSC_SMTP", raising=False)
    first = send_alert("data_quality", "dq:outbox:1", ["lead@testshire.example"], "Checks passed",
                       "Nothing failed.", module_settings, html="<p>Nothing failed.</p>")
    second = send_alert("data_quality", "dq:outbox:1", ["lead@testshire.example"], "Checks passed",
                        "Nothing failed.", module_settings)
    assert (first.status, first.channel, second.status) == ("written", "outbox", "already sent")
    files = sorted(module_settings.outbox_dir.glob("dq_outbox_1*"))
    assert [f.name for f in files] == ["dq_outbox_1.eml"]
    message = email.message_from_bytes(files[0].read_bytes())
    assert (message["To"], message["Subject"], message["X-CSC-Alert-Key"]) == (
        "lead@testshire.example", "Checks passed", "dq:outbox:1")
    assert [p.get_content_type() for p in message.walk()] == ["multipart/alternative", "text/plain", "text/html"]


def test_webhook_gets_the_alert_once(module_settings, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_CSC_SMTP", raising=False)
    posts: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's handler protocol)
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = module_settings.model_copy(update={
        "alert_webhook_url": SecretStr(f"http://127.0.0.1:{server.server_port}/hook")})
    try:
        for _ in range(2):
            send_alert("failure", "failure:webhook", ["e@testshire.example"], "Run failed", "Build step failed.",
                       settings)
    finally:
        server.shutdown()
        server.server_close()
    assert len(posts) == 1
    assert "Run failed" in posts[0]["text"] and "Build step failed." in posts[0]["text"]
    assert alert_row(module_settings, "failure:webhook:webhook")[0] == "sent"


def test_no_recipients_sends_nothing(module_settings, caplog):
    result = send_alert("failure", "failure:nobody", [], "x", "y", module_settings)
    assert result.status == "no recipients"
    assert alert_row(module_settings, "failure:nobody") is None
    assert "no recipients" in caplog.text


def test_recipients_come_from_the_la_configuration(module_settings):
    assert recipients_for("999", "data_quality", module_settings) == [
        "lead.one@testshire.example", "lead.two@testshire.example"]
    assert recipients_for("999", "failures", module_settings) == ["engineers@testshire.example"]
    assert recipients_for("000", "failures", module_settings) == []
