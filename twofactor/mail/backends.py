"""Where mail goes: the console (development only) or an SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from email import message_from_bytes, policy
from typing import Protocol, TextIO

import aiosmtplib

from twofactor.mail.messages import WireMessage
from twofactor.mail.settings import MailSettings

log = logging.getLogger("twofactor.mail")

_MAX_DETAIL = 200
# Connections kept open between messages: as many as the outbox worker sends at once
# (its PARALLEL_SENDS), so a burst of mail reuses them all.
POOL_SIZE = 8
# An idle connection is closed after this: long enough to carry the next messages of a
# burst, short enough not to hold a connection slot on the server for nothing.
IDLE_TIMEOUT = 10.0
# A server that does not answer QUIT this quickly is hung up on.
QUIT_TIMEOUT = 2.0
# The reply of a server that is closing the connection (an idle timeout, a shutdown).
_SERVICE_CLOSING = 421


class MailBackend(Protocol):
    """Sends one message, or raises: the outbox worker retries on any exception."""

    async def send(self, message: WireMessage) -> None: ...

    async def aclose(self) -> None:
        """Release what the backend keeps open between messages (the worker calls it on stop)."""


class ConsoleBackend:
    """Prints each message, decoded, to a stream.

    Development only (settings refuse it in production): the one place a code may be
    seen outside a mailbox.
    """

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self._stream = stream

    async def send(self, message: WireMessage) -> None:
        parsed = message_from_bytes(message.data, policy=policy.default)
        lines = ["-" * 72, *(f"{key}: {value}" for key, value in parsed.items())]
        # Decoded parts, because the wire form is quoted-printable.
        for part in parsed.walk():
            if part.get_content_maintype() == "text":
                text = part.get_content().replace("\r\n", "\n")  # the wire's line ends
                lines += ["", f"[{part.get_content_type()}]", text.rstrip()]
        lines.append("-" * 72)
        print("\n".join(lines), file=self._stream, flush=True)

    async def aclose(self) -> None:
        """Nothing to close."""


class SmtpBackend:
    """Sends through an SMTP server, keeping a few connections open between messages.

    Connect, EHLO, STARTTLS and AUTH are paid once per connection rather than once per
    message. A connection that failed a message is closed (its state is unknown); one the
    server dropped while it sat idle gets the message sent again, once, on a new one.
    """

    def __init__(self, settings: MailSettings, *, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self._settings = settings
        self._idle_timeout = idle_timeout
        # Connected clients waiting for a message, the latest used last, each with its idle timer.
        self._idle: list[tuple[aiosmtplib.SMTP, asyncio.TimerHandle]] = []
        self._quitting: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"SmtpBackend(host={self._settings.host!r}, port={self._settings.port})"

    async def send(self, message: WireMessage) -> None:
        """Send on the connection used last if it is still open, else on a new one.

        Within one deadline, the settings' timeout, connecting included: a server that stalls
        anywhere is given up on then (the outbox's claim outlives it). The replies themselves are
        awaited without a timer each, which cost a noticeable share of a send's CPU (measured
        by bench/run).
        """
        async with asyncio.timeout(self._settings.timeout):
            await self._send(message)

    async def _send(self, message: WireMessage) -> None:
        client = self._take_idle()
        if client is not None:
            try:
                await self._send_on(client, message)
                return
            except Exception as error:
                if not _dropped(error):
                    raise
                log.info("SMTP connection dropped while idle (%s); sending on a new one", describe_failure(error))
        await self._send_on(await self._connect(), message)

    async def aclose(self) -> None:
        """Quit the idle connections; a later `send` opens new ones."""
        idle, self._idle = self._idle, []
        for _, timer in idle:
            timer.cancel()
        await asyncio.gather(*(_quit(client) for client, _ in idle), *self._quitting)

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            start_tls=s.starttls,
            use_tls=s.tls,
            timeout=s.timeout,
        )
        await client.connect()  # closes itself if any step fails
        return client

    async def _send_on(self, client: aiosmtplib.SMTP, message: WireMessage) -> None:
        # aiosmtplib refuses (SMTPNotSupported) a UTF-8 address to a server without SMTPUTF8.
        options = ["SMTPUTF8"] if message.smtputf8 else []
        try:
            # timeout=None: `send`'s deadline bounds the whole transaction.
            await client.sendmail(message.sender, [message.recipient], message.data, mail_options=options, timeout=None)
        except BaseException:
            # Refused, timed out or cancelled mid-transaction: never reuse a connection in
            # an unknown state.
            client.close()
            raise
        self._keep(client)

    def _take_idle(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            client, timer = self._idle.pop()
            timer.cancel()
            if client.is_connected:
                return client
            client.close()  # the server hung up (and we read its EOF) while it waited
        return None

    def _keep(self, client: aiosmtplib.SMTP) -> None:
        if len(self._idle) >= POOL_SIZE:
            self._quit_later(client)
            return
        timer = asyncio.get_running_loop().call_later(self._idle_timeout, self._expire, client)
        self._idle.append((client, timer))

    def _expire(self, client: aiosmtplib.SMTP) -> None:
        for index, (idle, _) in enumerate(self._idle):
            if idle is client:
                del self._idle[index]
                self._quit_later(client)
                return

    def _quit_later(self, client: aiosmtplib.SMTP) -> None:
        task = asyncio.get_running_loop().create_task(_quit(client))
        self._quitting.add(task)
        task.add_done_callback(self._quitting.discard)


def _dropped(error: Exception) -> bool:
    """Whether a send failed because the server closed (or is closing) the connection."""
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return error.code == _SERVICE_CLOSING
    return isinstance(error, ConnectionError)  # SMTPServerDisconnected among them


async def _quit(client: aiosmtplib.SMTP) -> None:
    # QUIT is a courtesy to the server: whatever it answers, or not, the connection closes.
    with contextlib.suppress(Exception):
        await client.quit(timeout=QUIT_TIMEOUT)
    client.close()


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
