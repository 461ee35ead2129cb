"""Whether the database answers: the probes of the health check and of outage recovery, which
errors mean it is unreachable, and each process's record of whether it last was.

The server answers a request that met the database down with HTTP 503 (server/availability.py);
the outbox worker waits for it to come back (mail/outbox.py). See docs/faults.md.
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
from tortoise import Tortoise
from tortoise.exceptions import DBConnectionError
from tortoise.transactions import in_transaction

log = logging.getLogger("twofactor")

# How often a process checks whether the database is back while it is down (so "back" is logged
# even without traffic).
PROBE_INTERVAL: Final = 1.0
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


async def select_one() -> None:
    """One round trip to the database (the health check)."""
    await Tortoise.get_connection("default").execute_query("SELECT 1")


async def can_write() -> None:
    """A transaction begun and ended: on SQLite it takes the write lock (BEGIN IMMEDIATE), waiting up
    to the busy timeout, so a database another process holds locked does not count as back."""
    async with in_transaction() as connection:
        await connection.execute_query("SELECT 1")


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
