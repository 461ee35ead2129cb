"""The reads every request makes, as plain parameterized SQL.

Tortoise builds each query's SQL anew (pypika), which costs more than running it:
looking up a session with its user took ~400 us through the query builder and ~85 us
this way (bench/). Rows come back through Tortoise's own loader, so the models and
their field conversions are the same as anywhere else.
"""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from twofactor.models.two_factor import Authenticator
from twofactor.models.users import Session, User

M = TypeVar("M", bound=Model)


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{c}" AS "{alias}_{c}"' for c in sorted(model._meta.db_fields))


def _load(model: type[M], row: dict[str, object], alias: str) -> M:
    prefix = f"{alias}_"
    return model._init_from_db(**{key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)})


@cache
def _sql(dialect: str) -> dict[str, str]:
    # Only column names from the models and the driver's placeholder are put into the text;
    # every value goes as a parameter (hence the noqa: S608).
    mark = "?" if dialect == "sqlite" else "$1"
    second = "?" if dialect == "sqlite" else "$2"
    session_columns = f"{_columns(Session, 's')}, {_columns(User, 'u')}"
    return {
        "session": f'SELECT {session_columns} FROM "sessions" s '  # noqa: S608
        f'JOIN "users" u ON u."id" = s."user_id" WHERE s."token_hash" = {mark}',
        "authenticators": f'SELECT {_columns(Authenticator, "a")} FROM "authenticators" a '  # noqa: S608
        f'WHERE a."user_id" = {mark} ORDER BY a."created_at", a."id"',
        "authenticator": f'SELECT {_columns(Authenticator, "a")} FROM "authenticators" a '  # noqa: S608
        f'WHERE a."user_id" = {mark} AND a."id" = {second}',
        "recovery_left": 'SELECT COUNT(*) AS "n" FROM "recovery_codes" '  # noqa: S608
        f'WHERE "user_id" = {mark} AND "used_at" IS NULL',
    }


def _connection() -> tuple[BaseDBAsyncClient, dict[str, str]]:
    connection = Tortoise.get_connection("default")
    return connection, _sql(connection.capabilities.dialect)


async def session_with_user(token_hash: str) -> Session | None:
    """The session with this token hash, its user loaded, or None (expiry is the caller's to check)."""
    connection, sql = _connection()
    rows = await connection.execute_query_dict(sql["session"], [token_hash])
    if not rows:
        return None
    session = _load(Session, rows[0], "s")
    session.user = _load(User, rows[0], "u")
    return session


async def authenticators_of(user_id: int) -> list[Authenticator]:
    """The user's authenticators, oldest first."""
    connection, sql = _connection()
    return [
        _load(Authenticator, row, "a") for row in await connection.execute_query_dict(sql["authenticators"], [user_id])
    ]


async def recovery_codes_left(user_id: int) -> int:
    """How many of the user's recovery codes are unused."""
    connection, sql = _connection()
    rows = await connection.execute_query_dict(sql["recovery_left"], [user_id])
    return int(rows[0]["n"])


async def authenticator_of(user_id: int, authenticator_id: int) -> Authenticator | None:
    """One of the user's authenticators by id, or None (also for another user's)."""
    connection, sql = _connection()
    rows = await connection.execute_query_dict(sql["authenticator"], [user_id, authenticator_id])
    return _load(Authenticator, rows[0], "a") if rows else None
