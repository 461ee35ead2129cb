"""The database going away: recognised, answered with 503 and a JSON GraphQL error, logged on
the transitions only (once when it becomes unreachable, once when it is back).

A request that needs the database while it is down (PostgreSQL stopped or unreachable, or an
SQLite file another process holds the write lock of for longer than the busy timeout) gets
HTTP 503 with `Retry-After` and the GraphQL error SERVICE_UNAVAILABLE, whether it failed while
authenticating or inside a resolver. See docs/faults.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Final

import asyncpg
from graphql import GraphQLError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.exceptions import DBConnectionError

from twofactor.models.health import can_write

log = logging.getLogger("twofactor")

SERVICE_UNAVAILABLE: Final = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE: Final = "The service is briefly unavailable. Try again shortly."
# What a client is told to wait before trying again, and how often the process checks whether
# the database is back while it is down (so "back" is logged even without traffic).
RETRY_AFTER_SECONDS: Final = 2
PROBE_INTERVAL: Final = 1.0
GRAPHQL_PATH: Final = "/graphql"
# How far along an exception's causes to look for the connection error it wraps.
_CHAIN_DEPTH: Final = 8

# Errors that say the server cannot be reached or the connection broke, not that a statement was wrong.
_CONNECTION_ERRORS: Final[tuple[type[BaseException], ...]] = (
    OSError,  # ConnectionRefusedError, ConnectionResetError, no route to host
    TimeoutError,  # asyncpg's connect timeout
    asyncpg.PostgresConnectionError,  # includes CannotConnectNow (starting up, shutting down)
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing"
    asyncpg.AdminShutdownError,  # 57P01: the server is stopping (fast or immediate shutdown)
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    DBConnectionError,
)


class DatabaseUnavailable(Exception):
    """Raised where a result showed the database unreachable, to be answered with 503."""


def _sqlite_busy(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and error.sqlite_errorcode in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    )


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or what it wraps) says the database is unreachable or busy, not that a query was wrong."""
    for _ in range(_CHAIN_DEPTH):
        if error is None:
            return False
        if isinstance(error, (DatabaseUnavailable, *_CONNECTION_ERRORS)) or _sqlite_busy(error):
            return True
        if isinstance(error, GraphQLError):
            error = error.original_error
            continue
        error = error.__cause__ or error.__context__
    return False


def unavailable_error(error: GraphQLError | None = None) -> GraphQLError:
    """The GraphQL error a client sees while the database is down (no detail of the cause)."""
    return GraphQLError(
        UNAVAILABLE_MESSAGE,
        nodes=error.nodes if error else None,
        source=error.source if error else None,
        positions=error.positions if error else None,
        path=error.path if error else None,
        extensions={"code": SERVICE_UNAVAILABLE},
    )


def unavailable_response() -> JSONResponse:
    """HTTP 503 with Retry-After and the GraphQL error SERVICE_UNAVAILABLE, as JSON."""
    body = {"data": None, "errors": [{"message": UNAVAILABLE_MESSAGE, "extensions": {"code": SERVICE_UNAVAILABLE}}]}
    return JSONResponse(
        body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    )


Probe = Callable[[], Awaitable[object]]


class DatabaseAvailability:
    """Whether this process last found the database reachable; logs each change once.

    On the change to unreachable it starts probing (`probe`: at once, then every PROBE_INTERVAL)
    until the database answers. Meanwhile requests are answered 503 at once rather than each
    waiting for a connect timeout or SQLite's busy timeout; the probe alone says when it is back
    (logged even when no request comes).
    """

    def __init__(self, probe: Probe = can_write) -> None:
        self._probe = probe
        self.reachable = True
        self._probing: asyncio.Task[None] | None = None

    def lost(self, error: BaseException) -> None:
        """A request found the database unreachable."""
        if not self.reachable:
            return
        self.reachable = False
        # The class name only: a driver's message may name the host, never a secret, but keep it short.
        log.error("database unreachable (%s): answering 503 until it is back", type(error).__name__)
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to probe from
            self._probing = asyncio.get_running_loop().create_task(self._probe_until_back())

    def back(self) -> None:
        """A statement succeeded."""
        if self.reachable:
            return
        self.reachable = True
        log.info("database reachable again")

    async def _probe_until_back(self) -> None:
        while not self.reachable:
            try:
                await self._probe()
            except Exception as error:
                if not database_unavailable(error):
                    log.warning("database probe failed (%s)", type(error).__name__)
                await asyncio.sleep(PROBE_INTERVAL)
                continue
            self.back()

    async def close(self) -> None:
        """Stop probing (at shutdown)."""
        task, self._probing = self._probing, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class Availability:
    """ASGI middleware: an HTTP request that failed because the database is unreachable gets 503 JSON,
    and while it is known to be, a GraphQL request gets it at once."""

    def __init__(self, app: ASGIApp, state: DatabaseAvailability) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.state.reachable and scope["path"] == GRAPHQL_PATH:
            await unavailable_response()(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as error:
            if started or not database_unavailable(error):
                raise
            self.state.lost(error)
            await unavailable_response()(scope, receive, send)
