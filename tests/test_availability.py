"""Which errors mean "the database is unavailable" (answered 503), and which are bugs (masked 500s)."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from graphql import GraphQLError
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

from twofactor.server.availability import DatabaseUnavailable, database_unavailable


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
