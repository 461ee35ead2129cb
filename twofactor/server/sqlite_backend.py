"""Tortoise's SQLite engine: transactions take the write lock when they begin, and statements
run on the event loop when nothing can make them wait.

**BEGIN IMMEDIATE.** Tortoise begins a transaction with a deferred `BEGIN`: it reads from a
snapshot and asks for the write lock only at its first write. When another process (a second
uvicorn worker on the same file) committed in between, SQLite cannot upgrade that stale
snapshot and answers "database is locked" at once, without waiting for the busy timeout, and
with two workers many `submitCode` mutations failed so (measured by bench/run). `BEGIN IMMEDIATE`
takes the write lock up front, waiting for it up to the busy timeout (5 s), so a
transaction's reads are never stale.

**Statements on the loop.** aiosqlite runs every statement in a thread of its own, and the
hop there and back costs more CPU than a hot path's statements, as measured by bench/run
with `--quick --against` (this engine as "old", the same code with every statement in
aiosqlite's thread as "new"; the run writes its table to `results/against-<rev>-<time>.md`
beside it): the session lookup every request makes ran at 0.81 of this engine's requests/s,
`myTwoFactor` at 0.82, `sendLoginCode` at 0.86, below the hot paths' 0.90. (On a machine whose
cores other processes kept busy, the thread was ahead instead.) So statements run on a second
connection of this process, on the event loop, whenever that cannot wait:
- the process runs one statement or transaction at a time (Tortoise's lock, as before): a
  statement waits for the lock, then runs on the loop;
- that connection never waits for a lock (`timeout=0`): when another process holds the
  write lock, SQLite answers "busy" at once, before doing anything, and the statement or
  transaction runs in the thread, which waits up to the busy timeout. A transaction on the
  loop holds the write lock from its BEGIN IMMEDIATE, so nothing after it is ever busy;
- commits do not wait for the disk: with `synchronous=NORMAL` (the default here, see
  `database.py`) a WAL commit does not fsync. With FULL or EXTRA everything runs in the
  thread, as before;
- the WAL is checkpointed in a thread (`_Checkpoints`), not by a commit on the loop, where
  its fsync would stall every request.

Used through `tortoise_config` for every sqlite:// URL.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import NestedTransactionContext, TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

log = logging.getLogger("twofactor")

T = TypeVar("T")

# A checkpoint after this many commits on the loop: SQLite's own default is at 1,000 pages of
# WAL, and a commit here writes a few pages.
CHECKPOINT_EVERY = 200
# Settings of `synchronous` under which a commit waits for an fsync: those stay off the loop.
_SYNCED = {"2", "3", "full", "extra"}


def _busy(error: sqlite3.OperationalError) -> bool:
    """SQLite's answer when another connection holds a lock (nothing was done)."""
    return error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _query(connection: sqlite3.Connection, query: str, values: Sequence[Any] | None) -> tuple[int, list[Any]]:
    # As Tortoise's `execute_query`: changed rows, or the number of rows read.
    start = connection.total_changes
    cursor = connection.execute(query.replace("\x00", "'||CHAR(0)||'"), values or ())
    try:
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return (connection.total_changes - start) or len(rows), rows


def _insert(connection: sqlite3.Connection, query: str, values: Sequence[Any]) -> int:
    cursor = connection.execute(query, values)
    cursor.close()
    return cursor.lastrowid or 0


class _Checkpoints:
    """Moves the WAL into the database file now and then, in a thread, with a connection of its own.

    The WAL starts over only when a write finds it copied to its end. Under a steady stream of
    writes a checkpoint running beside them never gets there, and the WAL grows for as long
    as they come (tested). So it runs twice: the bulk beside the writes, then, holding the
    process's statement lock as SQLite's own checkpoint inside a commit would, what they added
    meanwhile, which is little, so the lock is held briefly. Reads go on (WAL).
    """

    def __init__(self, filename: str, lock: asyncio.Lock) -> None:
        self.filename = filename
        self.lock = lock
        self.commits = 0
        self.running: asyncio.Task[None] | None = None
        self.connection: sqlite3.Connection | None = None

    def committed(self) -> None:
        self.commits += 1
        if self.commits >= CHECKPOINT_EVERY and self.running is None:
            self.commits = 0
            self.running = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint)
            async with self.lock:
                await asyncio.to_thread(self._checkpoint)
        except sqlite3.Error as error:
            log.warning("WAL checkpoint failed: %s", error)
        finally:
            self.running = None

    def _checkpoint(self) -> None:
        if self.connection is None:
            self.connection = sqlite3.connect(self.filename, timeout=0, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()

    async def close(self) -> None:
        if self.running is not None:
            await asyncio.gather(self.running, return_exceptions=True)
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    """A transaction that holds the write lock from its start: on the loop's connection when
    it got the lock at once, else on aiosqlite's, waiting for the lock in its thread."""

    def __init__(self, connection: SqliteClient) -> None:
        super().__init__(connection)
        # The connection this transaction runs on, if on the loop (a savepoint: its parent's).
        self._on_loop: sqlite3.Connection | None = getattr(connection, "_on_loop", None)
        self._checkpoints: _Checkpoints | None = getattr(connection, "_checkpoints", None)

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(ImmediateTransactionWrapper(self))

    async def begin(self) -> None:
        loop_connection: sqlite3.Connection | None = getattr(self._parent, "_loop_connection", None)
        if loop_connection is not None:
            try:
                loop_connection.execute("BEGIN IMMEDIATE").close()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise TransactionManagementError(exc) from exc
            else:
                self._on_loop = loop_connection
                return
        try:
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    async def _end(self, statement: str) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._on_loop is None:
            await (self._connection.commit() if statement == "COMMIT" else self._connection.rollback())
        else:
            try:
                self._on_loop.execute(statement).close()
            except sqlite3.Error as exc:
                # A failed COMMIT (a deferred constraint, a full disk) leaves the transaction
                # open on the shared connection: end it, or no transaction could begin after.
                if self._on_loop.in_transaction:
                    self._on_loop.execute("ROLLBACK").close()
                self._finalized = True
                if isinstance(exc, sqlite3.IntegrityError):
                    raise IntegrityError(exc) from exc
                raise OperationalError(exc) from exc
            if statement == "COMMIT" and self._checkpoints is not None:
                self._checkpoints.committed()
        self._finalized = True

    async def commit(self) -> None:
        await self._end("COMMIT")

    async def rollback(self) -> None:
        await self._end("ROLLBACK")

    async def _savepoint_statement(self, statement: str) -> None:
        if self._on_loop is None:
            await self._connection.execute(statement)
        else:
            self._on_loop.execute(statement).close()

    async def savepoint(self) -> None:
        self._savepoint = f"twofactor_savepoint_{id(self)}"
        await self._savepoint_statement(f"SAVEPOINT {self._savepoint}")

    async def savepoint_rollback(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._savepoint is None:
            raise TransactionManagementError("No savepoint to rollback to")
        await self._savepoint_statement(f"ROLLBACK TO {self._savepoint}")
        self._savepoint = None

    async def release_savepoint(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._savepoint is None:
            raise TransactionManagementError("No savepoint to rollback to")
        await self._savepoint_statement(f"RELEASE {self._savepoint}")

    @translate_exceptions
    async def execute_insert(self, query: str, values: list[Any]) -> int:
        if self._on_loop is None:
            inserted: int = await super().execute_insert(query, values)
            return inserted
        self.log.debug("%s: %s", query, values)
        return _insert(self._on_loop, query, values)

    @translate_exceptions
    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        if self._on_loop is None:
            await super().execute_many(query, values)
            return None
        self.log.debug("%s: %s", query, values)
        self._on_loop.executemany(query, values).close()
        return None

    @translate_exceptions
    async def execute_query(self, query: str, values: list[Any] | None = None) -> tuple[int, Sequence[dict[str, Any]]]:
        if self._on_loop is None:
            result: tuple[int, Sequence[dict[str, Any]]] = await super().execute_query(query, values)
            return result
        self.log.debug("%s: %s", query, values)
        return _query(self._on_loop, query, values)

    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> list[dict[str, Any]]:
        if self._on_loop is None:
            rows: list[dict[str, Any]] = await super().execute_query_dict(query, values)
            return rows
        self.log.debug("%s: %s", query, values)
        return [dict(row) for row in _query(self._on_loop, query, values)[1]]

    @translate_exceptions
    async def execute_script(self, query: str) -> None:
        if self._on_loop is None:
            await super().execute_script(query)
            return None
        self.log.debug(query)
        self._on_loop.executescript(query).close()
        return None


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
    """Tortoise's SQLite client whose transactions begin with `BEGIN IMMEDIATE` and whose
    statements run on the event loop when they cannot wait (see the module's text)."""

    _loop_connection: sqlite3.Connection | None = None
    _checkpoints: _Checkpoints | None = None

    def _in_transaction(self) -> TransactionContext:
        return _ReleasingTransactionContext(ImmediateTransactionWrapper(self), self._lock)

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        if self._loop_connection is not None or not self._may_run_on_loop():
            return
        connection = sqlite3.connect(self.filename, timeout=0, isolation_level=None, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            connection.execute(f"PRAGMA {pragma}={value}").close()
        # Checkpoints run in `_Checkpoints`' thread, not in a commit on the loop.
        connection.execute("PRAGMA wal_autocheckpoint=0").close()
        self._loop_connection = connection
        self._checkpoints = _Checkpoints(self.filename, self._lock)
        weakref.finalize(self, connection.close)

    def _may_run_on_loop(self) -> bool:
        in_memory = self.filename == ":memory:" or "mode=memory" in self.filename
        synced = str(self.pragmas.get("synchronous", "")).lower() in _SYNCED
        wal = str(self.pragmas.get("journal_mode", "")).lower() == "wal"
        return wal and not in_memory and not synced

    async def close(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.close()
            self._checkpoints = None
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        await super().close()

    async def _run_on_loop(self, run: Callable[[sqlite3.Connection], T]) -> T | None:
        """`run` on the loop's connection once no other statement or transaction of this process
        runs (Tortoise's lock, taken without a pause when free); None if SQLite was busy."""
        connection = self._loop_connection
        if connection is None:
            return None
        async with self._lock:
            before = connection.total_changes
            try:
                result = run(connection)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                return None
        if connection.total_changes != before and self._checkpoints is not None:
            self._checkpoints.committed()
        # Let other requests' I/O in, as the hop to the thread did (see request_reads._rows).
        await asyncio.sleep(0)
        return result

    @translate_exceptions
    async def execute_insert(self, query: str, values: list[Any]) -> int:
        self.log.debug("%s: %s", query, values)
        inserted = await self._run_on_loop(lambda connection: _insert(connection, query, values))
        if inserted is None:
            inserted = await super().execute_insert(query, values)
        return inserted

    @translate_exceptions
    async def execute_query(self, query: str, values: list[Any] | None = None) -> tuple[int, Sequence[dict[str, Any]]]:
        self.log.debug("%s: %s", query, values)
        result = await self._run_on_loop(lambda connection: _query(connection, query, values))
        if result is None:
            result = await super().execute_query(query, values)
        return result

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> list[dict[str, Any]]:
        return [dict(row) for row in (await self.execute_query(query, values))[1]]


# Tortoise imports the engine as a module and instantiates its `client_class`.
client_class = ImmediateSqliteClient
