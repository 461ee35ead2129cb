"""SQLite transactions hold the write lock from BEGIN, so a second worker process cannot make them fail.

A plain sqlite3 connection to the same file stands in for the other uvicorn worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator

import pytest
from conftest import Harness, create_user
from tortoise.transactions import in_transaction

from twofactor.models import User
from twofactor.server.sqlite_backend import ImmediateTransactionWrapper

# Short enough to keep the test fast; a held write lock makes it fail, a free one never does.
NO_WAIT = 0.05
# The other worker waits as long as sqlite3's default busy timeout.
BUSY_TIMEOUT = 5.0


@contextlib.contextmanager
def other_worker(app: Harness, timeout: float) -> Iterator[sqlite3.Connection]:
    if app.backend != "sqlite":
        pytest.skip("SQLite's locking only")
    path = app.settings.database_url.removeprefix("sqlite://").split("?")[0]
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        yield connection
    finally:
        connection.close()


def rename(connection: sqlite3.Connection, user_id: int, suffix: str) -> None:
    connection.execute("UPDATE users SET name = name || ? WHERE id = ?", (suffix, user_id))


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
            theirs = asyncio.create_task(asyncio.to_thread(rename, other, user.id, " theirs"))
            done, _ = await asyncio.wait({theirs}, timeout=0.3)
            assert not done, "the other worker wrote inside our transaction"
            await User.filter(id=user.id).using_db(connection).update(name=read.name + " ours")
        await theirs
    assert (await User.get(id=user.id)).name == "Ada ours theirs"


async def test_nested_transactions_are_savepoints_of_the_same_kind(app: Harness) -> None:
    if app.backend != "sqlite":
        pytest.skip("SQLite's engine only")
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
