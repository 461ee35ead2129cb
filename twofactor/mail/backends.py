"""Where mail goes: the console (development only) or an SMTP server."""

from __future__ import annotations

import sys
from email.message import EmailMessage
from typing import Protocol, TextIO

import aiosmtplib

from twofactor.server.settings import MailSettings

_MAX_DETAIL = 200


class MailBackend(Protocol):
    """Sends one message, or raises: the outbox worker retries on any exception."""

    async def send(self, message: EmailMessage) -> None: ...


class ConsoleBackend:
    """Prints each message, decoded, to a stream.

    Development only (settings refuse it in production): the one place a code may be
    seen outside a mailbox.
    """

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self._stream = stream

    async def send(self, message: EmailMessage) -> None:
        lines = ["-" * 72, *(f"{key}: {value}" for key, value in message.items())]
        # Decoded parts, because the wire form may be quoted-printable or base64.
        for part in message.walk():
            if part.get_content_maintype() == "text":
                lines += ["", f"[{part.get_content_type()}]", part.get_content().rstrip()]
        lines.append("-" * 72)
        print("\n".join(lines), file=self._stream, flush=True)


class SmtpBackend:
    """Sends through an SMTP server, one connection per message."""

    def __init__(self, settings: MailSettings) -> None:
        self._settings = settings

    def __repr__(self) -> str:
        return f"SmtpBackend(host={self._settings.host!r}, port={self._settings.port})"

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        await aiosmtplib.send(
            message,
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            start_tls=s.starttls,
            use_tls=s.tls,
            timeout=s.timeout,
        )


def backend_for(settings: MailSettings) -> MailBackend:
    """The backend the mail settings name."""
    if settings.backend == "console":
        return ConsoleBackend()
    if settings.backend == "smtp":
        return SmtpBackend(settings)
    raise ValueError(f"unknown mail backend {settings.backend!r}; expected console or smtp")


def describe_failure(error: BaseException) -> str:
    """The error's class and a short message that can carry no body, code or password.

    Safe to store and log: an SMTP reply is written by the server (it does not echo the
    body or a password) and a network error names only the host and port.
    """
    name = type(error).__name__
    if isinstance(error, aiosmtplib.SMTPResponseException):
        detail = f"the server replied {error.code} {error.message}"
    elif isinstance(error, OSError):
        detail = str(error)
    else:
        # Anything else could quote what it was given; keep only its class.
        return name
    printable = "".join(c if c.isprintable() else " " for c in detail)
    return f"{name}: {printable[:_MAX_DETAIL]}"
