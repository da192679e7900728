"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and the Airflow connection pointing at it."""

from __future__ import annotations

import email
import json
import socket
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self) -> str:
        """The text of every part (HTML included), decoded."""
        parts = self.message.walk() if self.message.is_multipart() else [self.message]
        return "\n".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
                         for p in parts if not p.is_multipart())


@dataclass
class SmtpSink:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler protocol)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      email.message_from_bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink() -> tuple[SmtpSink, Controller]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return sink, controller


def airflow_connection(port: int) -> str:
    """AIRFLOW_CONN_CSC_SMTP for a plain (no TLS) server on loopback, in Airflow's JSON connection format."""
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "dq@testshire.example",
                                 "timeout": 5, "retry_limit": 0}})
