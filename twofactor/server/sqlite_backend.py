"""Tortoise's SQLite engine, except that a transaction takes the write lock when it begins.

Tortoise begins a transaction with a deferred `BEGIN`: it reads from a snapshot and asks for
the write lock only at its first write. When another process (a second uvicorn worker on the
same file) committed in between, SQLite cannot upgrade that stale snapshot and answers
"database is locked" at once, without waiting for the busy timeout
(tests/test_sqlite_transactions.py). `BEGIN IMMEDIATE` takes the write lock up front, waiting
for it up to the busy timeout (5 s), so a transaction's reads are never stale.

Every statement runs on Tortoise's one connection, in aiosqlite's thread. Used through
`tortoise_config` for every sqlite:// URL.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import NestedTransactionContext, TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.connection import get_connections
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    """A transaction that holds the write lock from its start (its savepoints: of the same kind)."""

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(ImmediateTransactionWrapper(self))

    async def begin(self) -> None:
        try:
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    async def commit(self) -> None:
        try:
            await super().commit()
        except sqlite3.Error as exc:
            # A failed COMMIT (a deferred constraint, a full disk) leaves the transaction open on
            # the process's one connection: end it, or no transaction could begin after.
            if self._connection.in_transaction:
                await self._connection.rollback()
            self._finalized = True
            if isinstance(exc, sqlite3.IntegrityError):
                raise IntegrityError(exc) from exc
            raise OperationalError(exc) from exc


class _ReleasingTransactionContext(SqliteTransactionContext):
    """Tortoise's, except that a BEGIN that fails (another process kept the database locked past
    the busy timeout) gives back the process's lock and its connection context: Tortoise's own
    keeps the lock, and every later statement of the process would wait for it forever."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection  # type: ignore[no-any-return]


class ImmediateSqliteClient(SqliteClient):
    """Tortoise's SQLite client whose transactions begin with `BEGIN IMMEDIATE`."""

    def _in_transaction(self) -> TransactionContext:
        return _ReleasingTransactionContext(ImmediateTransactionWrapper(self), self._lock)


# Tortoise imports the engine as a module and instantiates its `client_class`.
client_class = ImmediateSqliteClient
