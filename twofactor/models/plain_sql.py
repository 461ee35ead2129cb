"""Plain parameterized SQL for the writes every sign-in and code check makes.

Tortoise builds each statement's SQL anew through pypika: a conditional UPDATE cost
~235 us that way against ~110 us as plain text (bench/), and a code check makes six of
them. The statements here are written once with `?` placeholders (PostgreSQL gets `$n`),
run on the current connection (a transaction's, inside one) and take values as Tortoise
would pass them, so rows written either way read back the same.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

_PLACEHOLDER = re.compile(r"\?")


@cache
def _text(dialect: str, sql: str) -> str:
    if dialect == "sqlite":
        return sql
    numbers = iter(range(1, sql.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql)


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
    changed, _ = await connection.execute_query(_text(dialect, sql), list(values))
    return changed


async def fetch(sql: str, *values: Any, connection: BaseDBAsyncClient | None = None) -> list[tuple[Any, ...]]:
    """Run one SELECT (or a statement with RETURNING); its rows as tuples."""
    connection = connection or Tortoise.get_connection("default")
    dialect = connection.capabilities.dialect
    if dialect != "sqlite" and sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
        # Tortoise's PostgreSQL client runs INSERT/UPDATE/DELETE without fetching their rows.
        # (Rows as dicts: give each returned column a name of its own.)
        returned = await connection.execute_query_dict(_text(dialect, sql), list(values))
        return [tuple(row.values()) for row in returned]
    _, rows = await connection.execute_query(_text(dialect, sql), list(values))
    return [tuple(row) for row in rows]
