"""The Tortoise configuration and migrations."""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

APP_LABEL = "twofactor"


def _sqlite_defaults(database_url: str) -> str:
    """SQLite in WAL mode (Tortoise's default) with synchronous=NORMAL unless the URL sets it.

    With the default synchronous=FULL every commit waits for an fsync of the WAL, and a
    sign-in or a code check commits several times: measured in bench/, that cost 3x the
    throughput of verifyLogin. In WAL mode NORMAL never corrupts the database; a power cut
    (not a crash of the server) may lose the last commits. `?synchronous=FULL` restores it.
    """
    if not database_url.startswith("sqlite://") or "synchronous=" in database_url:
        return database_url
    return database_url + ("&" if "?" in database_url else "?") + "synchronous=NORMAL"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Tortoise's configuration for one database URL."""
    return {
        "connections": {"default": _sqlite_defaults(database_url)},
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


# For Tortoise's own command line when models change:
#   TWOFACTOR_DATABASE_URL=sqlite://dev.db tortoise -c twofactor.server.database.TORTOISE_ORM \
#       makemigrations
TORTOISE_ORM = tortoise_config(os.environ.get("TWOFACTOR_DATABASE_URL", "sqlite://twofactor.db"))
