"""Tortoise's SQLite engine, with transactions that take the write lock when they begin.

Tortoise begins a transaction with a deferred `BEGIN`: it reads from a snapshot and asks for
the write lock only at its first write. When another process (a second uvicorn worker on the
same file) committed in between, SQLite cannot upgrade that stale snapshot and answers
"database is locked" at once, without waiting for the busy timeout: in bench/, a third of the
`submitCode` mutations with two workers failed so. `BEGIN IMMEDIATE` takes the write lock up
front, waiting for it up to the busy timeout (5 s), so a transaction's reads are never stale.
Writers are serialised anyway by SQLite; readers outside transactions are not held up (WAL).

Used through `tortoise_config` for every sqlite:// URL.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import NestedTransactionContext, TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    """A transaction on the shared connection that holds the write lock from its start."""

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(ImmediateTransactionWrapper(self))

    async def begin(self) -> None:
        try:
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    """Tortoise's SQLite client whose transactions begin with `BEGIN IMMEDIATE`."""

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


# Tortoise imports the engine as a module and instantiates its `client_class`.
client_class = ImmediateSqliteClient
