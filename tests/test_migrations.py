"""Migrations applied to a database that already holds data.

Each run is a process of its own: a migration initialises Tortoise for the whole process,
which would swap the connections of the app the other tests share.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from helpers import BACKENDS, fresh_database

# Migrates to 0003, writes users and authenticators as they stood then, migrates to the
# latest, adds and removes an authenticator, and prints each user's stored count.
_SCRIPT = """
import asyncio, json, sys
from datetime import UTC, datetime
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from twofactor.models import raw_sql
from twofactor.server.database import tortoise_config

USER = (
    'INSERT INTO "users" ("email", "name", "is_admin", "password_hash", "created_at", '
    '"failed_verifications", "sends_in_window") VALUES (?, ?, ?, ?, ?, 0, 0) RETURNING "id"'
)
AUTHENTICATOR = (
    'INSERT INTO "authenticators" ("user_id", "method", "name", "name_key", "last_step", "created_at") '
    "VALUES (?, 'APP', ?, ?, -1, ?)"
)

async def main(url):
    config = tortoise_config(url)
    await migrate(config=config, target="twofactor.0003_lookup_indexes")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    moment = datetime.now(UTC)
    ids = []
    for email in ("two@example.test", "none@example.test"):
        ((user_id,),) = await raw_sql.fetch(USER, email, "x", False, "hash", moment)
        ids.append(user_id)
    for name in ("Phone", "Tablet"):
        await raw_sql.execute(AUTHENTICATOR, ids[0], name, name.lower(), moment)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    counts = {}
    read = 'SELECT "authenticator_count" FROM "users" WHERE "id" = ?'
    counts["migrated"] = [(await raw_sql.fetch(read, user_id))[0][0] for user_id in ids]
    await raw_sql.execute(AUTHENTICATOR, ids[1], "Laptop", "laptop", moment)
    await raw_sql.execute('DELETE FROM "authenticators" WHERE "user_id" = ? AND "name" = ?', ids[0], "Phone")
    counts["changed"] = [(await raw_sql.fetch(read, user_id))[0][0] for user_id in ids]
    await Tortoise.close_connections()
    print(json.dumps(counts))

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize("kind", BACKENDS)
async def test_the_authenticator_count_migration_counts_existing_rows_and_keeps_counting(
    kind: str, tmp_path: Path
) -> None:
    async with fresh_database(kind, tmp_path) as url:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _SCRIPT, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        counts = json.loads(out.decode().strip().splitlines()[-1])
    assert counts == {"migrated": [2, 0], "changed": [1, 1]}


# Migrates to 0004, writes a session and a recovery code as they stood then, migrates to the
# latest, and prints the new columns of those rows, then of rows written with them.
_SESSIONS_SCRIPT = """
import asyncio, json, sys
from datetime import UTC, datetime
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from twofactor.models import raw_sql
from twofactor.server.database import tortoise_config

USER = (
    'INSERT INTO "users" ("email", "name", "is_admin", "password_hash", "created_at", '
    '"failed_verifications", "sends_in_window") VALUES (?, ?, ?, ?, ?, 0, 0) RETURNING "id"'
)
SESSION = (
    'INSERT INTO "sessions" ("token_hash", "user_id", "state", "created_at", "expires_at", "failed_attempts") '
    "VALUES (?, ?, 'done', ?, ?, 0) RETURNING \\"id\\""
)
CODE = 'INSERT INTO "recovery_codes" ("user_id", "code_digest", "created_at") VALUES (?, ?, ?)'

async def main(url):
    config = tortoise_config(url)
    await migrate(config=config, target="twofactor.0004_authenticator_count")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    moment = datetime.now(UTC)
    ((user_id,),) = await raw_sql.fetch(USER, "old@example.test", "x", False, "hash", moment)
    ((session_id,),) = await raw_sql.fetch(SESSION, "a" * 64, user_id, moment, moment)
    await raw_sql.execute(CODE, user_id, "digest", moment)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    found = {}
    found["sessions"] = [list(r) for r in await raw_sql.fetch('SELECT "id", "last_seen_at" FROM "sessions"')]
    found["codes"] = [r[0] for r in await raw_sql.fetch('SELECT "minted_by_session_id" FROM "recovery_codes"')]
    await raw_sql.execute('UPDATE "sessions" SET "last_seen_at" = ? WHERE "id" = ?', moment, session_id)
    await raw_sql.execute('UPDATE "recovery_codes" SET "minted_by_session_id" = ?', session_id)
    found["seen"] = (await raw_sql.fetch('SELECT "last_seen_at" IS NOT NULL FROM "sessions"'))[0][0]
    minted = await raw_sql.fetch('SELECT "minted_by_session_id" FROM "recovery_codes"')
    found["minted"] = [r[0] == session_id for r in minted]
    found["session_id"] = session_id
    await Tortoise.close_connections()
    print(json.dumps(found, default=str))

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize("kind", BACKENDS)
async def test_the_session_tracking_migration_keeps_sessions_and_recovery_codes(kind: str, tmp_path: Path) -> None:
    async with fresh_database(kind, tmp_path) as url:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _SESSIONS_SCRIPT,
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        found = json.loads(out.decode().strip().splitlines()[-1])
    assert found["sessions"] == [[found["session_id"], None]]
    assert found["codes"] == [None]
    assert found["seen"] in (True, 1)
    assert found["minted"] == [True]


# Migrates to 0004, writes a user, a session and a throttle row as they stood then, migrates to
# the latest, and prints what the known-devices migration gave the old rows.
_DEVICES_SCRIPT = """
import asyncio, json, sys
from datetime import UTC, datetime, timedelta
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from twofactor.models import raw_sql
from twofactor.server.database import tortoise_config

async def main(url):
    config = tortoise_config(url)
    await migrate(config=config, target="twofactor.0004_authenticator_count")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    moment = datetime.now(UTC)
    ((user_id,),) = await raw_sql.fetch(
        'INSERT INTO "users" ("email", "name", "is_admin", "password_hash", "created_at", '
        '"failed_verifications", "sends_in_window") VALUES (?, ?, ?, ?, ?, 0, 0) RETURNING "id"',
        "old@example.test", "x", False, "hash", moment,
    )
    await raw_sql.execute(
        'INSERT INTO "sessions" ("token_hash", "user_id", "state", "created_at", "expires_at", "failed_attempts") '
        "VALUES (?, ?, 'done', ?, ?, 0)",
        "a" * 64, user_id, moment, moment + timedelta(days=1),
    )
    await raw_sql.execute(
        'INSERT INTO "login_throttles" ("key", "window_start", "failures") VALUES (?, ?, 3)', "address:x", moment
    )
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    found = {
        "session": list((await raw_sql.fetch('SELECT "device_id", "trusted_device" FROM "sessions"'))[0]),
        "user": list((await raw_sql.fetch(
            'SELECT "sign_in_send_window_start", "sign_in_sends_in_window" FROM "users"'))[0]),
        "throttle": list((await raw_sql.fetch('SELECT "failures", "blocked_until" FROM "login_throttles"'))[0]),
        "devices": (await raw_sql.fetch('SELECT COUNT(*) FROM "known_devices"'))[0][0],
    }
    await Tortoise.close_connections()
    print(json.dumps(found))

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize("kind", BACKENDS)
async def test_the_known_devices_migration_keeps_old_rows_untrusted_and_unthrottled(kind: str, tmp_path: Path) -> None:
    async with fresh_database(kind, tmp_path) as url:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _DEVICES_SCRIPT, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        found = json.loads(out.decode().strip().splitlines()[-1])
    assert found == {
        "session": [None, False],  # SQLite's 0 equals False
        "user": [None, 0],
        "throttle": [3, None],
        "devices": 0,
    }


# Migrates to 0007, writes a user with an app authenticator, a set-up and the policy as they
# stood then, migrates to the latest, then adds an authenticator of the new method and a
# duplicate name, and prints what the old rows, the policy and the count kept.
_SECURITY_KEYS_SCRIPT = """
import asyncio, json, sys, uuid
from datetime import UTC, datetime
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api.migrate import migrate
from twofactor.models import raw_sql
from twofactor.server.database import tortoise_config

async def main(url):
    config = tortoise_config(url)
    await migrate(config=config, target="twofactor.0007_audited_waits")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    moment = datetime.now(UTC)
    ((user_id,),) = await raw_sql.fetch(
        'INSERT INTO "users" ("email", "name", "is_admin", "password_hash", "created_at", "failed_verifications", '
        '"sends_in_window") VALUES (?, ?, ?, ?, ?, 0, 0) RETURNING "id"', "k@example.test", "K", False, "hash", moment
    )
    add = (
        'INSERT INTO "authenticators" ("user_id", "method", "name", "name_key", "last_step", "created_at") '
        "VALUES (?, ?, ?, ?, -1, ?)"
    )
    await raw_sql.execute(add, user_id, "APP", "Phone", "phone", moment)
    await raw_sql.execute(
        'INSERT INTO "setups" ("id", "user_id", "method", "status", "failed_attempts", "created_at", "expires_at", '
        '"version") VALUES (?, ?, ?, ?, 0, ?, ?, 0)', str(uuid.uuid4()), user_id, "EMAIL", "PENDING", moment, moment
    )
    await raw_sql.execute('INSERT INTO "policy" ("id", "mandatory", "email_enabled", "app_enabled", '
        '"recovery_codes_enabled", "updated_at") VALUES (1, ?, ?, ?, ?, ?)', False, True, True, True, moment)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    await raw_sql.execute(add, user_id, "SECURITY_KEY", "YubiKey", "yubikey", moment)
    try:
        await raw_sql.execute(add, user_id, "APP", "PHONE", "phone", moment)
        duplicate = "accepted"
    except IntegrityError:
        duplicate = "refused"
    found = {
        "methods": [r[0] for r in await raw_sql.fetch('SELECT "method" FROM "authenticators" ORDER BY "id"')],
        "count": (await raw_sql.fetch('SELECT "authenticator_count" FROM "users"'))[0][0],
        "setups": (await raw_sql.fetch('SELECT COUNT(*) FROM "setups"'))[0][0],
        "keys_enabled": (await raw_sql.fetch('SELECT "security_key_enabled" FROM "policy"'))[0][0],
        "duplicate_name": duplicate,
    }
    await Tortoise.close_connections()
    print(json.dumps(found))

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize("kind", BACKENDS)
async def test_the_security_keys_migration_keeps_rows_triggers_and_indexes(kind: str, tmp_path: Path) -> None:
    async with fresh_database(kind, tmp_path) as url:
        pipe = asyncio.subprocess.PIPE
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _SECURITY_KEYS_SCRIPT, url, stdout=pipe, stderr=pipe
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        found = json.loads(out.decode().strip().splitlines()[-1])
    assert found == {
        "methods": ["APP", "SECURITY_KEY"],
        # The count trigger (0004) and the unique name index survive the widened method column.
        "count": 2,
        "setups": 1,
        "keys_enabled": False,  # SQLite's 0 equals False
        "duplicate_name": "refused",
    }
