"""The reads every request makes (session, user, authenticators, set-ups), as plain parameterized SQL.

Tortoise builds each query's SQL anew (pypika), which costs more than running it, and every
request makes these reads (measured by bench/run). Rows become the same model instances
Tortoise would build (`Loader`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Any, Generic, TypeVar
from uuid import UUID

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.fields import DatetimeField
from tortoise.models import Model

from twofactor.models.two_factor import Authenticator, EmailChallenge, Setup
from twofactor.models.users import Session, User

M = TypeVar("M", bound=Model)

log = logging.getLogger("twofactor")


def as_datetime(value: Any) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite keeps ISO text, PostgreSQL datetimes).

    Tortoise parses the text with the pure-Python iso8601 package; `fromisoformat` is C and
    reads the same `YYYY-MM-DD HH:MM:SS.ffffff+00:00` Tortoise writes.
    """
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Loader(Generic[M]):
    """Builds model instances from plain rows, as Tortoise's `_init_from_db` does, at less cost.

    Its columns come in a fixed order so rows are read by position; each field is converted
    the way Tortoise converts it (datetimes by `as_datetime`). tests/test_query_counts.py checks
    that the instances equal Tortoise's own.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model

    @cached_property
    def _plan(self) -> tuple[bool, tuple[str, ...], tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
        # Read on first use: Tortoise fills in the field lists at init, not at import.
        meta = self.model._meta
        steps: list[tuple[str, str, Callable[[Any], Any] | None]] = []
        steps += [(column, attr, None) for column, attr, _ in meta.db_native_fields]
        steps += [(column, attr, field.field_type) for column, attr, field in meta.db_default_fields]
        for column, attr, field in meta.db_complex_fields:
            steps.append((column, attr, as_datetime if isinstance(field, DatetimeField) else field.to_python_value))
        # Tortoise's field lists come from a set, in an order that changes with the hash seed
        # from one process to the next: the primary key first, then by name, in every process.
        steps.sort(key=lambda step: (step[0] != meta.db_pk_column, step[0]))
        generated_pk = meta.db_pk_column in meta.generated_db_fields
        return generated_pk, tuple(c for c, _, _ in steps), tuple((a, convert) for _, a, convert in steps)

    @property
    def columns(self) -> tuple[str, ...]:
        """The selected columns in order: the primary key first (never NULL in a row that exists)."""
        return self._plan[1]

    def select(self, alias: str) -> str:
        return ", ".join(f'{alias}."{column}"' for column in self.columns)

    def load(self, row: Any, offset: int = 0) -> M:
        """`row`: a driver row (sqlite3.Row, asyncpg Record), read by position from `offset`."""
        generated_pk, _, steps = self._plan
        instance = self.model.__new__(self.model)
        assign = object.__setattr__
        assign(instance, "_partial", False)
        assign(instance, "_saved_in_db", True)
        assign(instance, "_custom_generated_pk", not generated_pk)
        assign(instance, "_await_when_save", {})
        for index, (attr, convert) in enumerate(steps, offset):
            value = row[index]
            assign(instance, attr, value if convert is None or value is None else convert(value))
        return instance


SESSIONS = Loader(Session)
USERS = Loader(User)
AUTHENTICATORS = Loader(Authenticator)
SETUPS = Loader(Setup)
EMAIL_CHALLENGES = Loader(EmailChallenge)


@cache
def _sql(dialect: str) -> dict[str, str]:
    # Only column names from the models and the driver's placeholder are put into the text;
    # every value goes as a parameter (hence the noqa: S608).
    mark = "?1" if dialect == "sqlite" else "$1"
    second = "?2" if dialect == "sqlite" else "$2"
    session_columns = f"{SESSIONS.select('s')}, {USERS.select('u')}"
    # Unordered: `signed_in` sorts them (SQLite's aggregate has no ORDER BY to rely on).
    aggregate = "json_group_array(json_array" if dialect == "sqlite" else "json_agg(json_build_array"
    authenticators = f"SELECT {aggregate}({AUTHENTICATORS.select('a')}))"
    return {
        "session": f'SELECT {session_columns} FROM "sessions" s '  # noqa: S608
        f'JOIN "users" u ON u."id" = s."user_id" WHERE s."token_hash" = {mark}',
        # The same, with the user's unused recovery codes and authenticators (a JSON array of rows).
        "signed_in": f"SELECT {session_columns}, "  # noqa: S608
        f'(SELECT COUNT(*) FROM "recovery_codes" r WHERE r."user_id" = u."id" AND r."used_at" IS NULL), '
        f'({authenticators} FROM "authenticators" a WHERE a."user_id" = u."id") '
        f'FROM "sessions" s JOIN "users" u ON u."id" = s."user_id" WHERE s."token_hash" = {mark}',
        # The count rides on every authenticator row, and on one row of NULLs when there is none.
        "authenticators": f'SELECT c."n", {AUTHENTICATORS.select("a")} FROM '  # noqa: S608
        f'(SELECT COUNT(*) AS "n" FROM "recovery_codes" WHERE "user_id" = {mark} AND "used_at" IS NULL) c '
        f'LEFT JOIN "authenticators" a ON a."user_id" = {mark} ORDER BY a."created_at", a."id"',
        "authenticator": f'SELECT {AUTHENTICATORS.select("a")} FROM "authenticators" a '  # noqa: S608
        f'WHERE a."user_id" = {mark} AND a."id" = {second}',
        "user_by_email": f'SELECT {USERS.select("u")} FROM "users" u WHERE u."email" = {mark}',  # noqa: S608
        "setup": f'SELECT {SETUPS.select("t")} FROM "setups" t '  # noqa: S608
        f'WHERE t."user_id" = {mark} AND t."id" = {second}',
        "email_challenge": f'SELECT {EMAIL_CHALLENGES.select("e")} FROM "email_challenges" e '  # noqa: S608
        f'WHERE e."session_id" = {mark} AND e."authenticator_id" = {second}',
    }


def _connection() -> tuple[BaseDBAsyncClient, dict[str, str]]:
    connection = Tortoise.get_connection("default")
    return connection, _sql(connection.capabilities.dialect)


async def _rows(connection: BaseDBAsyncClient, sql: str, values: list[Any]) -> Sequence[Any]:
    """The rows of one read: on SQLite outside a transaction, straight from `_reader`."""
    reader = _reader(connection)
    if reader is not None:
        connection.log.debug("%s: %s", sql, values)  # as Tortoise logs its own statements
        try:
            cursor = reader.execute(sql, values)
            found = cursor.fetchall()
            # Ends the read transaction now: a dropped cursor's statement can stay unreset until
            # a garbage collection, and later reads then saw the snapshot it started (tested).
            cursor.close()
            # Let other requests' I/O in here, as the hop to the thread did: without this yield,
            # whole requests run without a break, and under load the slowest requests wait for
            # many others (measured by bench/run).
            await asyncio.sleep(0)
            return found
        except sqlite3.OperationalError as error:
            # Busy or locked (a WAL reader almost never is): the worker thread waits instead.
            log.info("plain read deferred to the database thread: %s", error)
    _, rows = await connection.execute_query(sql, values)
    return rows


def _reader(connection: BaseDBAsyncClient) -> sqlite3.Connection | None:
    """A read-only connection of this process to the same SQLite file, used on the event loop.

    A read here is an index lookup of a few cached pages, cheaper than the hop to aiosqlite's
    thread and back that it saves (measured by bench/run).
    In WAL mode a reader never waits for the writer, and with `timeout=0` a rare busy answer
    falls back to the thread instead of blocking the loop. It sees committed rows only, so a
    transaction (which must see its own writes) reads through its own connection.
    """
    if not isinstance(connection, SqliteClient) or isinstance(connection, TransactionalDBClient):
        return None
    reader: sqlite3.Connection | None = getattr(connection, "_twofactor_reader", None)
    if reader is None:
        if connection.filename == ":memory:" or "mode=memory" in connection.filename:
            return None  # another connection would see another database
        reader = sqlite3.connect(connection.filename, timeout=0, isolation_level=None, check_same_thread=False)
        reader.execute("PRAGMA query_only = ON")
        # Closed with the client: Tortoise keeps one per process until shutdown.
        weakref.finalize(connection, reader.close)
        connection._twofactor_reader = reader  # type: ignore[attr-defined]
    return reader


async def session_with_user(token_hash: str) -> Session | None:
    """The session with this token hash, its user loaded, or None (expiry is the caller's to check)."""
    connection, sql = _connection()
    rows = await _rows(connection, sql["session"], [token_hash])
    if not rows:
        return None
    session = SESSIONS.load(rows[0])
    session.user = USERS.load(rows[0], len(SESSIONS.columns))
    return session


@dataclass(frozen=True)
class SignedIn:
    """A session with its user, and the user's second factors as they were when it was read."""

    session: Session
    authenticators: list[Authenticator]
    recovery_codes_left: int


async def signed_in(token_hash: str) -> SignedIn | None:
    """`session_with_user` and `authenticators_and_codes_left` in one statement (one round trip).

    Most requests of a signed-in user look at their authenticators; on PostgreSQL a round
    trip costs more CPU than the rest of a small request's reads (measured by bench/run).
    """
    connection, sql = _connection()
    rows = await _rows(connection, sql["signed_in"], [token_hash])
    if not rows:
        return None
    row = rows[0]
    session = SESSIONS.load(row)
    offset = len(SESSIONS.columns) + len(USERS.columns)
    session.user = USERS.load(row, len(SESSIONS.columns))
    listed = row[offset + 1]
    found = [AUTHENTICATORS.load(item) for item in (json.loads(listed) if listed else [])]
    found.sort(key=lambda a: (a.created_at, a.id))
    return SignedIn(session, found, int(row[offset]))


async def authenticators_and_codes_left(user_id: int) -> tuple[list[Authenticator], int]:
    """The user's authenticators, oldest first, and how many of their recovery codes are unused."""
    connection, sql = _connection()
    rows = await _rows(connection, sql["authenticators"], [user_id])
    left = int(rows[0][0])
    # A user without authenticators gets one row of NULLs from the LEFT JOIN: no primary key.
    return [AUTHENTICATORS.load(row, 1) for row in rows if row[1] is not None], left


async def authenticator_of(user_id: int, authenticator_id: int) -> Authenticator | None:
    """One of the user's authenticators by id, or None (also for another user's)."""
    connection, sql = _connection()
    rows = await _rows(connection, sql["authenticator"], [user_id, authenticator_id])
    return AUTHENTICATORS.load(rows[0]) if rows else None


async def setup_of(user_id: int, setup_id: UUID) -> Setup | None:
    """One of the user's set-ups by id, or None (also for another user's)."""
    connection, sql = _connection()
    rows = await _rows(connection, sql["setup"], [user_id, str(setup_id)])
    return SETUPS.load(rows[0]) if rows else None


async def email_challenge_of(session_id: int, authenticator_id: int) -> EmailChallenge | None:
    """The session's emailed code for that authenticator, used or not, if one was sent."""
    connection, sql = _connection()
    rows = await _rows(connection, sql["email_challenge"], [session_id, authenticator_id])
    return EMAIL_CHALLENGES.load(rows[0]) if rows else None


async def user_by_email(email: str) -> User | None:
    """The user with this (normalized) sign-in address, or None."""
    connection, sql = _connection()
    rows = await _rows(connection, sql["user_by_email"], [email])
    return USERS.load(rows[0]) if rows else None
