"""Which errors mean "the database is unavailable" (answered 503), and which are bugs (masked 500s);
a failed BEGIN leaves the engines working."""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import urlsplit

import asyncpg
import pytest
from graphql import GraphQLError
from helpers import PG_ADMIN_DSN
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

from twofactor.models.health import DatabaseUnavailable, database_unavailable
from twofactor.server.postgres_backend import ReleasingAsyncpgClient


def wrapped(outer: type[Exception], inner: BaseException) -> Exception:
    """`outer` raised from `inner`, as Tortoise translates a driver's error."""
    try:
        try:
            raise inner
        except BaseException as error:
            raise outer(error) from error
    except Exception as translated:
        return translated


def locked() -> sqlite3.OperationalError:
    """SQLite's answer once the busy timeout passed with another process holding the lock."""
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        DatabaseUnavailable(),
        GraphQLError("wrapped", original_error=ConnectionResetError()),
    ],
    ids=lambda e: type(e).__name__,
)
def test_connection_failures_mean_unavailable(error: BaseException) -> None:
    assert database_unavailable(error)


def test_sqlite_busy_wrapped_by_tortoise_means_unavailable() -> None:
    assert database_unavailable(wrapped(TransactionManagementError, locked()))
    assert database_unavailable(wrapped(OperationalError, locked()))


def test_wrong_statements_and_constraints_are_not_unavailability() -> None:
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("SELECT * FROM nowhere")
    except sqlite3.OperationalError as error:
        no_table = error
    finally:
        connection.close()
    assert not database_unavailable(wrapped(OperationalError, no_table))
    assert not database_unavailable(wrapped(IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert not database_unavailable(asyncpg.UndefinedTableError("relation does not exist"))
    assert not database_unavailable(RuntimeError("a bug"))
    assert not database_unavailable(None)


async def test_a_postgres_transaction_whose_begin_failed_gives_its_connection_back() -> None:
    """Tortoise kept the connection when BEGIN failed (a dead pooled connection after an outage):
    with a pool of one, the next transaction then waited forever."""
    host, port = urlsplit(PG_ADMIN_DSN).hostname, urlsplit(PG_ADMIN_DSN).port or 5432
    async with TortoiseContext():
        client = ReleasingAsyncpgClient(
            user="postgres", host=host, port=port, database="postgres", connection_name="begin_fails", maxsize=1
        )
        await client.create_connection(with_db=True)
        pool = client._pool
        assert pool is not None
        try:

            async def held_open() -> None:
                async with client._in_transaction():
                    await asyncio.Event().wait()

            # BEGIN is on the wire when the task is cancelled: it fails inside the transaction's start.
            task = asyncio.create_task(held_open())
            await asyncio.sleep(0)
            assert pool.get_idle_size() == 0, "the connection is taken before BEGIN"
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

            async with asyncio.timeout(5), client._in_transaction() as connection:
                assert await connection.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]
        finally:
            await client.close()
