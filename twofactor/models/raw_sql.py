"""Running raw SQL: parameterized statements on the current connection, and transactions retried after a deadlock.

Used for the writes every sign-in and code check makes. Tortoise builds each statement's SQL
anew through pypika, which costs more than running a conditional UPDATE, and a code check makes
several of them (measured by bench/run). The statements here are written once with `?`
placeholders (PostgreSQL gets `$n`), run on the current connection (a transaction's, inside one)
and take values as Tortoise would pass them, so rows written either way read back the same.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
from collections.abc import Awaitable, Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from asyncpg.exceptions import DeadlockDetectedError
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction

log = logging.getLogger("twofactor")
T = TypeVar("T")

# A `?` placeholder, or a string literal or quoted name (whose `?` is text, not a placeholder).
_PLACEHOLDER = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\?""")


@cache
def _text(dialect: str, sql: str) -> str:
    if dialect == "sqlite":
        return sql
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda found: f"${next(numbers)}" if found[0] == "?" else found[0], sql)


def is_sqlite(connection: BaseDBAsyncClient | None = None) -> bool:
    """Whether statements run on SQLite (else PostgreSQL), on `connection` or the default one."""
    return (connection or Tortoise.get_connection("default")).capabilities.dialect == "sqlite"


async def execute(sql: str, *values: Any, connection: BaseDBAsyncClient | None = None) -> int:
    """Run one INSERT, UPDATE or DELETE; how many rows it changed.

    `sql` is a constant of the caller's (never built from input); every value is a parameter.
    """
    connection = connection or Tortoise.get_connection("default")
    dialect = connection.capabilities.dialect
    if dialect != "sqlite" and sql.startswith("INSERT"):
        # Tortoise reads PostgreSQL's "INSERT <oid> <rows>" status as the oid (always 0):
        # count the rows the statement returns instead.
        return len(await fetch(sql if " RETURNING " in sql else f"{sql} RETURNING 1", *values, connection=connection))
    text, listed = _text(dialect, sql), list(values)
    changed, _ = await _again_after_deadlock(connection, lambda: connection.execute_query(text, listed))
    return int(changed)


async def fetch(sql: str, *values: Any, connection: BaseDBAsyncClient | None = None) -> list[tuple[Any, ...]]:
    """Run one SELECT (or a statement with RETURNING); its rows as tuples."""
    connection = connection or Tortoise.get_connection("default")
    dialect = connection.capabilities.dialect
    text, listed = _text(dialect, sql), list(values)
    if dialect != "sqlite" and sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
        # Tortoise's PostgreSQL client runs INSERT/UPDATE/DELETE without fetching their rows.
        # (Rows as dicts: give each returned column a name of its own.)
        returned = await _again_after_deadlock(connection, lambda: connection.execute_query_dict(text, listed))
        return [tuple(row.values()) for row in returned]
    _, rows = await _again_after_deadlock(connection, lambda: connection.execute_query(text, listed))
    return [tuple(row) for row in rows]


# A write and its values, for `execute_together`.
Statement = tuple[str, tuple[Any, ...]]


@cache
def _together(texts: tuple[str, ...]) -> str:
    # Data-modifying WITH queries run once each, to completion, on one snapshot, each when the
    # SELECT first reads it (so in order); each returns a row per row it changed, and the
    # SELECT counts them. Only the callers' constant texts and numbers go in (hence the noqa).
    if any("RETURNING" in text.upper() for text in texts):
        # Its rows would be counted as rows changed, on PostgreSQL only.
        raise ValueError("execute_together counts the rows each write changed: a write may not return rows")
    queries = ", ".join(f"w{number} AS ({text} RETURNING 1)" for number, text in enumerate(texts))
    counts = ", ".join(f"(SELECT COUNT(*) FROM w{number})" for number in range(len(texts)))  # noqa: S608
    return f"WITH {queries} SELECT {counts}"


async def execute_together(statements: Sequence[Statement]) -> list[int]:
    """Run writes as one unit, all of them or none; how many rows each changed.

    The writes change different rows and do not read each other's. PostgreSQL gets one
    statement of WITH queries (one round trip, which a sign-in needs: measured by bench/run
    --against), SQLite one transaction. Rows are locked in the order given, so callers list
    them in the order other writers lock them.
    """
    connection = Tortoise.get_connection("default")
    dialect = connection.capabilities.dialect
    together = _together(tuple(sql for sql, _ in statements))  # checked on both databases
    if dialect == "sqlite":
        async with in_transaction() as transaction:
            return [await execute(sql, *values, connection=transaction) for sql, values in statements]
    # Each statement's own text and values, in order: the `?` become $1..$n across all of them.
    text = _text(dialect, together)
    listed = [value for _, values in statements for value in values]
    _, rows = await _again_after_deadlock(connection, lambda: connection.execute_query(text, listed))
    return [int(count) for count in rows[0]]


# A statement or transaction that PostgreSQL ends to break a deadlock runs again, up to this
# many times in all. The other side usually goes on at once; but when it is the one ended
# first, or retries itself, the two can cross again (seen 1 run in 6 of the reset-and-code-
# check test on a slow machine): each crossing costs PostgreSQL's deadlock_timeout (1 s).
DEADLOCK_ATTEMPTS = 3
# Before running again, a pause of at most this many seconds times the run's number (at
# random), so that the other side, already past its wait, finishes rather than meeting it again.
_DEADLOCK_PAUSE = 0.02


async def _after_deadlock(attempt: int, what: str) -> None:
    log.warning(
        "%s was ended to break a deadlock; running it again (attempt %d of %d)", what, attempt + 1, DEADLOCK_ATTEMPTS
    )
    await asyncio.sleep(random.uniform(0.5, 1.0) * _DEADLOCK_PAUSE * attempt)  # noqa: S311 - pacing only


async def _again_after_deadlock(connection: BaseDBAsyncClient, run: Callable[[], Awaitable[T]]) -> T:
    """Run a statement; again (`DEADLOCK_ATTEMPTS`) while PostgreSQL ends it to break a deadlock.

    A statement of its own (not in a transaction) that was ended so changed nothing. Two paths
    that lock a user's rows in different orders (an administrator's reset and a code check,
    say) would otherwise answer an unexpected error. Inside a transaction the whole
    transaction is lost, so the error goes to its caller.
    """
    for attempt in range(1, DEADLOCK_ATTEMPTS):
        try:
            return await run()
        except DeadlockDetectedError:
            if isinstance(connection, TransactionalDBClient):
                raise
            await _after_deadlock(attempt, "a statement")
    return await run()


async def in_transaction_again_after_deadlock(work: Callable[[BaseDBAsyncClient], Awaitable[T]]) -> T:
    """Run `work` in a transaction of its own; again (`DEADLOCK_ATTEMPTS`) while PostgreSQL ends
    it to break a deadlock.

    The transaction was rolled back with everything it wrote (as a statement of its own,
    above). `work` must be safe to run again: it writes only through the connection it is
    given, and acts outside the database after.
    """
    for attempt in range(1, DEADLOCK_ATTEMPTS):
        try:
            async with in_transaction() as connection:
                return await work(connection)
        except DeadlockDetectedError:
            await _after_deadlock(attempt, "a transaction")
    async with in_transaction() as connection:
        return await work(connection)
