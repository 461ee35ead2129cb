"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every message it accepts."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    """A port nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                text: str = part.get_content()
                # Lines end in CRLF on the wire, in LF in the templates.
                return text.replace("\r\n", "\n")
        raise AssertionError(f"no {content_type} part")


@dataclass
class Collector:
    """An aiosmtpd handler that keeps each message, parsed."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"


class LiveHooks:
    """The handler every connection calls: it looks the collector's hooks up at each call.

    aiosmtpd reads a handler's hooks once per connection, and the SMTP backend keeps its
    connections open: a test that swaps `collector.handle_DATA` reaches them this way too.
    """

    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        status: str = await self.collector.handle_DATA(server, session, envelope)
        return status

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        status: str = await self.collector.handle_RCPT(server, session, envelope, address, options)
        return status


class TrackedSMTP(SMTP):
    """One server-side connection, in its controller's set of open ones while it lasts."""

    def __init__(self, handler: LiveHooks, open_connections: set[TrackedSMTP], **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._open_connections = open_connections
        open_connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._open_connections.discard(self)
        super().connection_lost(error)


class CountingController(Controller):
    """An aiosmtpd controller that counts the connections it accepted and keeps the open ones."""

    def __init__(self, handler: LiveHooks, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.accepted = 0
        self.open: set[TrackedSMTP] = set()

    def factory(self) -> TrackedSMTP:
        # Called once per connection, in the server's thread.
        self.accepted += 1
        return TrackedSMTP(self.handler, self.open, **self.SMTP_kwargs)


class SmtpServer:
    """Starts and stops an aiosmtpd server (it runs its own loop in a thread)."""

    def __init__(self, port: int | None = None, *, smtputf8: bool = False) -> None:
        self.port = port if port is not None else free_port()
        self.collector = Collector()
        self._controller = CountingController(
            LiveHooks(self.collector), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    @property
    def received(self) -> list[Received]:
        return self.collector.received

    @property
    def connections(self) -> int:
        """How many connections clients opened since `start()`."""
        return self._controller.accepted

    @property
    def open_connections(self) -> int:
        return len(self._controller.open)

    def start(self) -> None:
        self._controller.start()
        # start() opened one itself, to check the server answers.
        self._controller.accepted = 0

    def hang_up(self) -> None:
        """Close every open connection from the server's side, as a server does with idle clients.

        Returns once the sockets are closed, before the client's loop could notice.
        """

        async def close_all() -> None:
            for server in list(self._controller.open):
                if server.transport is not None:
                    server.transport.close()
            # The transports close their sockets in the callbacks just scheduled.
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(close_all(), self._controller.loop).result(timeout=5)

    def stop(self) -> None:
        self._controller.stop()
