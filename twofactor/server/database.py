"""The Tortoise configuration and migrations."""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

APP_LABEL = "twofactor"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Tortoise's configuration for one database URL."""
    return {
        "connections": {"default": database_url},
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
