"""What is sent: the messages, the backends (console, SMTP), the outbox and its worker."""

from twofactor.mail.backends import (
    ConsoleBackend,
    MailBackend,
    SmtpBackend,
    backend_for,
    describe_failure,
)
from twofactor.mail.messages import Email, WireMessage, to_mime
from twofactor.mail.outbox import OutboxWorker, enqueue

__all__ = [
    "ConsoleBackend",
    "Email",
    "MailBackend",
    "OutboxWorker",
    "SmtpBackend",
    "WireMessage",
    "backend_for",
    "describe_failure",
    "enqueue",
    "to_mime",
]
