"""The Tortoise configuration and migrations."""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate
from tortoise.migrations.executor import MigrationExecutor

APP_LABEL = "twofactor"

# A PostgreSQL that is down or unreachable costs a request this long at most to connect (asyncpg's
# default is 60 s), after which it answers 503 (server/availability.py).
CONNECT_TIMEOUT = 5.0
# A statement that gets no answer (a server gone without closing the connection) is given up on then.
COMMAND_TIMEOUT = 30.0


def _sqlite_defaults(database_url: str) -> str:
    """SQLite in WAL mode (Tortoise's default) with synchronous=NORMAL unless the URL sets it.

    With the default synchronous=FULL every commit waits for an fsync of the WAL, and a
    sign-in or a code check commits several times, which cut verifyLogin's throughput sharply
    (measured by bench/run). In WAL mode NORMAL never corrupts the database; a power cut
    (not a crash of the server) may lose the last commits. `?synchronous=FULL` restores it.
    """
    if not database_url.startswith("sqlite://") or "synchronous=" in database_url:
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + "synchronous=NORMAL"


def _postgres_defaults(database_url: str) -> str:
    """A pool of up to 20 connections per process unless the URL sets `maxsize`.

    Tortoise takes a connection from the pool for each statement and its default pool has 5:
    with many requests in flight, each of a request's statements queued again behind the others,
    and the slowest `myTwoFactor` requests took much longer (measured by bench/run). Mind
    PostgreSQL's max_connections (100 by default): workers x maxsize must stay below it.
    """
    if not database_url.startswith(("postgres://", "asyncpg://")) or "maxsize=" in database_url:
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + "maxsize=20"


async def _keep_session(_: Any) -> None:
    """What a pooled PostgreSQL connection needs before its next user: nothing more.

    asyncpg's default reset runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` on every release, a round trip after each statement, since Tortoise takes a
    connection per statement: that reset cost about as much CPU as the statement itself
    (measured by bench/run).
    The service sets no session state (no LISTEN, advisory lock, cursor or SET), and asyncpg
    still rolls back a transaction left open before calling this.
    """


def _connection(database_url: str) -> str | dict[str, Any]:
    """The URL as Tortoise reads it, but SQLite with our engine (see `sqlite_backend`) and
    PostgreSQL with ours (`postgres_backend`), its pools without a reset query per statement
    (`_keep_session`) and with timeouts."""
    url = _postgres_defaults(_sqlite_defaults(database_url))
    if url.startswith("sqlite://"):
        return {**expand_db_url(url), "engine": "twofactor.server.sqlite_backend"}
    if url.startswith(("postgres://", "asyncpg://")):
        expanded = {**expand_db_url(url), "engine": "twofactor.server.postgres_backend"}
        credentials = expanded["credentials"]
        credentials["reset"] = _keep_session
        # The URL may set them (`?timeout=3&command_timeout=10`); asyncpg wants numbers.
        credentials["timeout"] = float(credentials.get("timeout", CONNECT_TIMEOUT))
        credentials["command_timeout"] = float(credentials.get("command_timeout", COMMAND_TIMEOUT))
        # No floor of idle connections (asyncpg keeps reconnecting one, logging a traceback each
        # time, while the database is down); connections opened by requests stay pooled.
        credentials.setdefault("minsize", 0)
        return expanded
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Tortoise's configuration for one database URL."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            APP_LABEL: {
                "models": ["twofactor.models"],
                "migrations": "twofactor.models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def apply_migrations(database_url: str) -> None:
    """Bring the database schema up to date (safe to run again: applied ones are skipped)."""
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def pending_migrations(database_url: str) -> list[str]:
    """The names of the migrations not yet applied to the database Tortoise is connected to, in order.

    Call it once the database answered: Tortoise reads an unreachable one as having none applied.
    """
    apps = tortoise_config(database_url)["apps"]
    steps = await MigrationExecutor(Tortoise.get_connection("default"), apps).plan()
    return [step.migration.name for step in steps if not step.backward]


# For Tortoise's own command line when models change:
#   TWOFACTOR_DATABASE_URL=sqlite://dev.db tortoise -c twofactor.server.database.TORTOISE_ORM \
#       makemigrations
TORTOISE_ORM = tortoise_config(os.environ.get("TWOFACTOR_DATABASE_URL", "sqlite://twofactor.db"))
