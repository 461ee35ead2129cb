"""SQLite transactions hold the write lock from BEGIN, so a second worker process cannot make them fail;
statements run on the event loop unless they would wait.

A plain sqlite3 connection to the same file stands in for the other uvicorn worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator

import pytest
from helpers import Harness, create_user
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError, TransactionManagementError
from tortoise.transactions import in_transaction

from twofactor.models import User
from twofactor.server.sqlite_backend import CHECKPOINT_EVERY, ImmediateSqliteClient, ImmediateTransactionWrapper

pytestmark = pytest.mark.sqlite_only

# Short enough to keep the test fast; a held write lock makes it fail, a free one never does.
NO_WAIT = 0.05
# The other worker waits as long as sqlite3's default busy timeout.
BUSY_TIMEOUT = 5.0


@contextlib.contextmanager
def other_worker(app: Harness, timeout: float) -> Iterator[sqlite3.Connection]:
    path = app.settings.database_url.removeprefix("sqlite://").split("?")[0]
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        yield connection
    finally:
        connection.close()


def rename(connection: sqlite3.Connection, user_id: int, suffix: str) -> None:
    connection.execute("UPDATE users SET name = name || ? WHERE id = ?", (suffix, user_id))


def started_statements(connection: sqlite3.Connection) -> asyncio.Queue[str]:
    """The statements `connection` starts from now on, told to this loop as each starts running.

    SQLite's trace hook fires as a statement begins, before it takes a lock: a statement seen
    here and not finished is waiting for the write lock, a deterministic sign in place of a pause."""
    loop = asyncio.get_running_loop()
    started: asyncio.Queue[str] = asyncio.Queue()
    connection.set_trace_callback(lambda sql: loop.call_soon_threadsafe(started.put_nowait, sql))
    return started


@contextlib.asynccontextmanager
async def started_in_the_thread() -> AsyncIterator[asyncio.Queue[str]]:
    """`started_statements` of the process's aiosqlite connection: what runs in its thread."""
    client = Tortoise.get_connection("default")
    assert isinstance(client, ImmediateSqliteClient) and client._connection is not None
    loop = asyncio.get_running_loop()
    started: asyncio.Queue[str] = asyncio.Queue()
    await client._connection.set_trace_callback(lambda sql: loop.call_soon_threadsafe(started.put_nowait, sql))
    try:
        yield started
    finally:
        # sqlite3 takes None to remove the hook; aiosqlite's annotation says a callable.
        await client._connection.set_trace_callback(None)  # type: ignore[arg-type]


async def next_statement(started: asyncio.Queue[str]) -> str:
    async with asyncio.timeout(BUSY_TIMEOUT):
        return await started.get()


async def test_a_transaction_holds_the_write_lock_from_its_start(app: Harness) -> None:
    user = await create_user()
    with other_worker(app, NO_WAIT) as other:
        async with in_transaction() as connection:
            await User.get(id=user.id, using_db=connection)
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                rename(other, user.id, " theirs")
            await User.filter(id=user.id).using_db(connection).update(name="Ada ours")
        rename(other, user.id, " theirs")
    assert (await User.get(id=user.id)).name == "Ada ours theirs"


async def test_a_read_then_write_survives_a_concurrent_writer(app: Harness) -> None:
    # With a deferred BEGIN the other worker committed at once, and our write then failed
    # with "database is locked" without waiting (its snapshot was stale): the benchmark's bug.
    user = await create_user()
    with other_worker(app, BUSY_TIMEOUT) as other:
        async with in_transaction() as connection:
            read = await User.get(id=user.id, using_db=connection)
            started = started_statements(other)
            theirs = asyncio.create_task(asyncio.to_thread(rename, other, user.id, " theirs"))
            # Their UPDATE started; it waits for our write lock (had it not, ours would now fail,
            # or overwrite theirs: the name at the end tells).
            assert (await next_statement(started)).startswith("UPDATE")
            await User.filter(id=user.id).using_db(connection).update(name=read.name + " ours")
        await theirs
    assert (await User.get(id=user.id)).name == "Ada ours theirs"


async def test_nested_transactions_are_savepoints_of_the_same_kind(app: Harness) -> None:
    user = await create_user()
    async with in_transaction() as outer:
        assert isinstance(outer, ImmediateTransactionWrapper)
        await User.filter(id=user.id).using_db(outer).update(name="Outer")
        with pytest.raises(RuntimeError):
            async with in_transaction() as inner:
                assert isinstance(inner, ImmediateTransactionWrapper)
                await User.filter(id=user.id).using_db(inner).update(name="Inner")
                raise RuntimeError("roll the savepoint back")
    assert (await User.get(id=user.id)).name == "Outer"


def loop_connection(app: Harness) -> sqlite3.Connection:
    client = Tortoise.get_connection("default")
    assert isinstance(client, ImmediateSqliteClient)
    assert client._loop_connection is not None, "the default settings run statements on the loop"
    return client._loop_connection


async def test_statements_and_transactions_run_on_the_loop_connection(app: Harness) -> None:
    on_loop = loop_connection(app)
    user = await create_user()
    before = on_loop.total_changes
    await User.filter(id=user.id).update(name="Ada Loop")
    async with in_transaction() as connection:
        assert isinstance(connection, ImmediateTransactionWrapper)
        assert connection._on_loop is on_loop
        await User.filter(id=user.id).using_db(connection).update(name="Ada Loop 2")
    assert on_loop.total_changes == before + 2
    assert (await User.get(id=user.id)).name == "Ada Loop 2"


async def rename_ours(user_id: int) -> None:
    await User.filter(id=user_id).update(name="Ada ours")


async def test_a_write_waits_in_the_thread_while_another_process_writes(app: Harness) -> None:
    # The loop's connection never waits: "busy" sends the statement to aiosqlite's thread,
    # which waits for the lock while the loop serves everything else.
    loop_connection(app)
    user = await create_user()
    with other_worker(app, BUSY_TIMEOUT) as other:
        other.execute("BEGIN IMMEDIATE")
        async with started_in_the_thread() as started:
            write = asyncio.create_task(rename_ours(user.id))
            # The loop hears the write start in the thread, and keeps turning while it waits there.
            assert (await next_statement(started)).startswith("UPDATE")
            assert not write.done(), "the write ran while another process held the write lock"
            rename(other, user.id, " theirs")
            other.execute("COMMIT")
            await write
    assert (await User.get(id=user.id)).name == "Ada ours"


async def test_a_transaction_waits_in_the_thread_while_another_process_writes(app: Harness) -> None:
    loop_connection(app)
    user = await create_user()

    async def ours() -> ImmediateTransactionWrapper:
        async with in_transaction() as connection:
            assert isinstance(connection, ImmediateTransactionWrapper)
            read = await User.get(id=user.id, using_db=connection)
            await User.filter(id=user.id).using_db(connection).update(name=read.name + " ours")
            return connection

    with other_worker(app, BUSY_TIMEOUT) as other:
        other.execute("BEGIN IMMEDIATE")
        async with started_in_the_thread() as started:
            transaction = asyncio.create_task(ours())
            assert await next_statement(started) == "BEGIN IMMEDIATE"  # in the thread, waiting for the lock
            assert not transaction.done()
            rename(other, user.id, " theirs")
            other.execute("COMMIT")
            connection = await transaction
    assert connection._on_loop is None, "it began while the other process held the lock"
    assert (await User.get(id=user.id)).name == "Ada theirs ours"


def pragma(connection: sqlite3.Connection, name: str) -> int:
    cursor = connection.execute(f"PRAGMA {name}")
    value = int(cursor.fetchone()[0])
    cursor.close()  # an open cursor would keep its snapshot, and the WAL with it
    return value


async def test_the_wal_is_checkpointed_off_the_loop(app: Harness) -> None:
    # The loop's connection does not checkpoint (that would fsync on the loop): a thread does,
    # every CHECKPOINT_EVERY commits. Without it the WAL grows by a page or more per commit.
    on_loop = loop_connection(app)
    assert pragma(on_loop, "wal_autocheckpoint") == 0
    user = await create_user()
    path = app.settings.database_url.removeprefix("sqlite://").split("?")[0]
    page_size = pragma(on_loop, "page_size")
    commits = 5 * CHECKPOINT_EVERY
    for number in range(commits):
        await User.filter(id=user.id).update(name=f"Ada {number}")
    client = Tortoise.get_connection("default")
    assert isinstance(client, ImmediateSqliteClient) and client._checkpoints is not None
    if client._checkpoints.running is not None:
        await client._checkpoints.running
    wal_pages = os.path.getsize(path + "-wal") / page_size
    assert wal_pages < commits / 2, f"the WAL kept {wal_pages:.0f} pages for {commits} commits"


async def test_a_failed_commit_leaves_the_loops_connection_usable(app: Harness) -> None:
    # With deferred foreign keys SQLite checks them at COMMIT, which then fails and leaves the
    # transaction open: the next transaction must still begin (and the row must be gone).
    on_loop = loop_connection(app)
    user = await create_user()
    with pytest.raises(IntegrityError):
        async with in_transaction() as connection:
            await connection.execute_query("PRAGMA defer_foreign_keys = ON")
            await connection.execute_query(
                'INSERT INTO "recovery_codes" ("user_id", "code_digest", "created_at") VALUES (?, ?, ?)',
                [user.id + 1000, "x" * 64, "2026-01-01 00:00:00+00:00"],
            )
    assert not on_loop.in_transaction
    async with in_transaction() as connection:
        await User.filter(id=user.id).using_db(connection).update(name="Ada After")
    assert (await User.get(id=user.id)).name == "Ada After"


async def test_a_transaction_that_never_got_the_lock_leaves_the_process_working(app: Harness) -> None:
    """Another process held the write lock past the busy timeout: BEGIN fails, and the process's
    own lock and connection context are given back (Tortoise kept them: every later statement hung)."""
    user = await create_user()
    with other_worker(app, NO_WAIT) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(TransactionManagementError, match="database is locked"):
            async with in_transaction():
                pass
        other.execute("ROLLBACK")
    client = Tortoise.get_connection("default")
    # Not the failed transaction, and not holding the lock every statement of the process takes.
    assert isinstance(client, ImmediateSqliteClient)
    assert not client._lock.locked()
    async with asyncio.timeout(BUSY_TIMEOUT):
        await User.filter(id=user.id).update(name="Ada Again")
        async with in_transaction() as connection:
            await User.filter(id=user.id).using_db(connection).update(name="Ada Once More")
    assert (await User.get(id=user.id)).name == "Ada Once More"
