"""Whether the database answers: the probes of the health check and of outage recovery."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.transactions import in_transaction


async def select_one() -> None:
    """One round trip to the database (the health check)."""
    await Tortoise.get_connection("default").execute_query("SELECT 1")


async def can_write() -> None:
    """A transaction begun and ended: on SQLite it takes the write lock (BEGIN IMMEDIATE), waiting up
    to the busy timeout, so a database another process holds locked does not count as back."""
    async with in_transaction() as connection:
        await connection.execute_query("SELECT 1")
