"""One alert as an e-mail: plain text for every reader, HTML for those whose client shows it."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


@dataclass(frozen=True)
class AlertMessage:
    key: str
    subject: str
    text: str
    html: str | None = None

    def as_email(self, sender: str, recipients: list[str]) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = self.subject
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
        message["X-CSC-Alert-Key"] = self.key
        message.set_content(self.text)
        if self.html:
            message.add_alternative(self.html, subtype="html")
        return message
