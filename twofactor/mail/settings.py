"""Where mail goes, as the mail backends take it; server/settings.py reads it from TWOFACTOR_MAIL_URL."""

from __future__ import annotations

from dataclasses import dataclass, field

# The longest a message's send may take, connecting included (the SMTP `timeout=`): well within
# the outbox worker's claim on the message (60 s), so no other worker sends it meanwhile.
MAX_MAIL_TIMEOUT = 30.0


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes: the console (development) or an SMTP server."""

    backend: str  # "console" or "smtp"
    host: str = ""
    port: int = 0
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    tls: bool = False
    timeout: float = 10.0  # seconds for each message in all (see SmtpBackend.send)
