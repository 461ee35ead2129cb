"""The benchmarked flows: their GraphQL documents, the rows each needs, and the requests it sends.

Every timed request must succeed on its own: a TOTP step may be claimed once per
authenticator, a set-up is finished once, a code mail may go to a user once every 30 s.
So the rows are written before the server starts (users, sessions, set-ups,
authenticators, the way `login` and `setUpApp` would have left them), and each request
of a consuming flow uses its own user. The rows are written with the project's own models
and keyring, against the database the server will use.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from twofactor.models import Authenticator, Method, RecoveryCode, Session, SessionState, Setup, User
from twofactor.security import codes, rules, tokens, totp
from twofactor.security.keyring import Keyring
from twofactor.security.names import name_key
from twofactor.security.passwords import hash_password_sync
from twofactor.security.rules import PENDING_SESSION_LIFETIME, SESSION_LIFETIME, SETUP_LIFETIME
from twofactor.server.database import apply_migrations, tortoise_config

try:
    from twofactor.resolvers.code_checks import recovery_digest, secret_context
except ModuleNotFoundError:  # a build from before the module's rename (`--against` seeds with its code)
    from twofactor.resolvers.factors import recovery_digest, secret_context  # type: ignore[import-not-found,no-redef]

PASSWORD = "correct horse battery staple"

# The documents a client would send (the same selections as the tests' documents).
MY_TWO_FACTOR = """
{ myTwoFactor { enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { id name method email createdAt lastUsedAt } } }"""

SET_UP_APP = """
mutation { myTwoFactor { setUpApp {
  setup { id status method expiresAt attemptsLeft app { setupKey otpauthUri qrCodeSvg qrCodePng digits period } }
  error { code message }
} } }"""

# What the web client asks for (twofactor/static/app/app.js): the QR code as PNG only.
SET_UP_APP_PNG = """
mutation { myTwoFactor { setUpApp {
  setup { id status method expiresAt attemptsLeft app { setupKey otpauthUri qrCodePng digits period } }
  error { code message }
} } }"""

# A set-up on the phone that will hold the code: the app opens otpauthUri, so no QR code is drawn.
SET_UP_APP_KEY = """
mutation { myTwoFactor { setUpApp {
  setup { id status method expiresAt attemptsLeft app { setupKey otpauthUri digits period } }
  error { code message }
} } }"""

SUBMIT = """
mutation($id: ID!, $code: String!, $name: String) { myTwoFactor { submitCode(setupId: $id, code: $code, name: $name) {
  authenticator { id name method email createdAt lastUsedAt } message recoveryCodes
  setup { id status attemptsLeft }
  error { code message field attemptsLeft retryAfterSeconds }
} } }"""

VERIFY_LOGIN = """
mutation($id: ID!, $code: String!) { verifyLogin(authenticatorId: $id, code: $code) {
  session { nextStep expiresAt } error { code message attemptsLeft retryAfterSeconds }
} }"""

SET_UP_EMAIL = """
mutation($name: String!) { myTwoFactor { setUpEmail(name: $name) {
  setup { id status method name email expiresAt attemptsLeft resendAvailableAt }
  error { code message field retryAfterSeconds }
} } }"""

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token session { nextStep expiresAt user { id email } } authenticators { id name method }
    error { code message retryAfterSeconds }
  }
}"""

# The session lookup every request makes, and next to nothing else.
SESSION = "{ session { nextStep expiresAt user { id email } } }"

SEND_LOGIN_CODE = """
mutation($id: ID!) { sendLoginCode(authenticatorId: $id) { expiresAt resendAvailableAt error { code message } } }"""

REMOVE = """
mutation($id: ID!) { myTwoFactor { remove(id: $id) { removedId error { code message } } } }"""

REGENERATE = """
mutation { myTwoFactor { regenerateRecoveryCodes { recoveryCodes error { code message } } } }"""

HELLO = "{ hello }"


@dataclass(frozen=True)
class Flow:
    """One benchmarked request kind."""

    name: str
    query: str
    payload_path: tuple[str, ...]
    # "once": each item (user, set-up, challenge) is used by one request; "cycle": reused.
    mode: str
    # Mails each successful request queues (read by the outbox worker, sent to the sink).
    mails: int = 0
    note: str = ""


FLOWS: dict[str, Flow] = {
    "myTwoFactor": Flow("myTwoFactor", MY_TWO_FACTOR, (), "cycle", note="query, user with 3 authenticators"),
    "setUpApp": Flow("setUpApp", SET_UP_APP, ("myTwoFactor", "setUpApp"), "once", note="new secret + QR (SVG+PNG)"),
    "setUpAppPng": Flow(
        "setUpAppPng", SET_UP_APP_PNG, ("myTwoFactor", "setUpApp"), "once", note="QR as PNG only (web client)"
    ),
    "setUpAppKey": Flow(
        "setUpAppKey", SET_UP_APP_KEY, ("myTwoFactor", "setUpApp"), "once", note="no QR: setup key and URI only"
    ),
    "submitCode": Flow(
        "submitCode", SUBMIT, ("myTwoFactor", "submitCode"), "once", mails=1, note="APP set-up, first factor"
    ),
    "verifyLogin": Flow("verifyLogin", VERIFY_LOGIN, ("verifyLogin",), "once", note="APP code at a sign-in challenge"),
    "setUpEmail": Flow(
        "setUpEmail", SET_UP_EMAIL, ("myTwoFactor", "setUpEmail"), "once", mails=1, note="code mailed via outbox"
    ),
    "login": Flow("login", LOGIN, ("login",), "cycle", note="argon2id verify + session"),
    "session": Flow("session", SESSION, (), "cycle", note="the session lookup every request makes"),
    "sendLoginCode": Flow(
        "sendLoginCode", SEND_LOGIN_CODE, ("sendLoginCode",), "once", mails=1, note="EMAIL code at a challenge"
    ),
    "remove": Flow("remove", REMOVE, ("myTwoFactor", "remove"), "once", note="one of two apps, fresh session"),
    "regenerateRecoveryCodes": Flow(
        "regenerateRecoveryCodes",
        REGENERATE,
        ("myTwoFactor", "regenerateRecoveryCodes"),
        "once",
        note="ten new codes, fresh session",
    ),
}
HELLO_FLOW = Flow("hello", HELLO, (), "cycle")

# Users of the reusable flows: one per connection, so no two requests share a row.
REUSABLE_USERS = 64


def _now() -> datetime:
    return datetime.now(UTC)


# PostgreSQL takes at most 32,767 parameters per statement: ids go in chunks.
_IDS_PER_QUERY = 10_000


async def authenticator_ids(user_ids: list[int], **more: str) -> dict[int, int]:
    """The id of each user's authenticator (matching `more`), by user id."""
    found: dict[int, int] = {}
    for start in range(0, len(user_ids), _IDS_PER_QUERY):
        chunk = user_ids[start : start + _IDS_PER_QUERY]
        rows = await Authenticator.filter(user_id__in=chunk, **more).values_list("user_id", "id")
        found.update((int(user_id), int(authenticator_id)) for user_id, authenticator_id in rows)
    return found


class Seeder:
    """Writes users and what hangs off them in bulk; remembers tokens and secrets for the requests."""

    def __init__(self, keyring: Keyring, password_hash: str) -> None:
        self.keyring = keyring
        self.password_hash = password_hash

    async def users(self, prefix: str, count: int) -> list[tuple[int, str]]:
        """`count` users named prefix-i; (id, email) in order."""
        rows = [
            User(email=f"{prefix}-{i}@bench.example", name=f"{prefix} {i}", password_hash=self.password_hash)
            for i in range(count)
        ]
        await User.bulk_create(rows, batch_size=500)
        found = dict(await User.filter(email__startswith=f"{prefix}-").values_list("email", "id"))
        return [(int(found[row.email]), row.email) for row in rows]

    async def sessions(self, user_ids: list[int], state: SessionState) -> list[str]:
        """A session per user at `state`; their bearer tokens.

        Created now, so over a minute old when measured: every request then owes the session's
        "last seen" (written at most once a minute). A real sign-in's verifyLogin or
        sendLoginCode comes seconds after its login and owes none; these flows measure the
        costlier stale case (verifyLogin records it in the update that passes the challenge,
        sendLoginCode writes it)."""
        lifetime = SESSION_LIFETIME if state == SessionState.DONE else PENDING_SESSION_LIFETIME
        moment = _now()
        found = [tokens.new_token() for _ in user_ids]
        await Session.bulk_create(
            [
                Session(
                    token_hash=tokens.token_hash(token),
                    user_id=user_id,
                    state=state,
                    expires_at=moment + lifetime,
                    second_factor_at=moment if state == SessionState.DONE else None,
                    ip="127.0.0.1",
                    user_agent="bench",
                )
                for user_id, token in zip(user_ids, found, strict=True)
            ],
            batch_size=500,
        )
        return found

    async def app_authenticators(self, user_ids: list[int], name: str) -> list[tuple[int, str]]:
        """An APP authenticator per user; (authenticator id, secret) per user."""
        found = {user_id: totp.new_secret() for user_id in user_ids}
        await Authenticator.bulk_create(
            [
                Authenticator(
                    user_id=user_id,
                    method=Method.APP,
                    name=name,
                    name_key=name_key(name),
                    secret_encrypted=self.keyring.encrypt(secret, secret_context(user_id)),
                    last_step=-1,
                )
                for user_id, secret in found.items()
            ],
            batch_size=500,
        )
        ids = await authenticator_ids(user_ids, name_key=name_key(name))
        return [(ids[user_id], found[user_id]) for user_id in user_ids]

    async def email_authenticators(self, users: list[tuple[int, str]], name: str) -> None:
        await Authenticator.bulk_create(
            [
                Authenticator(user_id=user_id, method=Method.EMAIL, name=name, name_key=name_key(name), email=email)
                for user_id, email in users
            ],
            batch_size=500,
        )

    async def recovery_codes(self, user_ids: list[int]) -> None:
        """Ten recovery codes per user, as a first set-up leaves them."""
        rows = [
            RecoveryCode(user_id=user_id, code_digest=recovery_digest(self.keyring, user_id, code))
            for user_id in user_ids
            for code in codes.new_recovery_codes()
        ]
        await RecoveryCode.bulk_create(rows, batch_size=1000)

    async def app_setups(self, user_ids: list[int]) -> list[tuple[str, str]]:
        """A pending APP set-up per user, as setUpApp leaves it; (set-up id, secret) per user."""
        moment = _now()
        made = []
        rows = []
        for user_id in user_ids:
            secret = totp.new_secret()
            setup_id = uuid.uuid4()
            made.append((str(setup_id), secret))
            rows.append(
                Setup(
                    id=setup_id,
                    user_id=user_id,
                    method=Method.APP,
                    secret_encrypted=self.keyring.encrypt(secret, secret_context(user_id)),
                    expires_at=moment + SETUP_LIFETIME,
                )
            )
        await Setup.bulk_create(rows, batch_size=500)
        return made


async def seed(database_url: str, secret_key: str, pool: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Migrate, write every flow's rows, and return each flow's request items.

    `pool[flow]` is how many single-use items a consuming flow gets.
    """
    # Tortoise caches SQL per (connection name, table), not per dialect: a run that seeds
    # SQLite and then PostgreSQL in one process must start each from an empty cache.
    EXECUTOR_CACHE.clear()
    await apply_migrations(database_url)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        seeder = Seeder(Keyring([secret_key]), hash_password_sync(PASSWORD))
        items: dict[str, list[dict[str, Any]]] = {}

        # myTwoFactor: users with 3 authenticators (2 apps, 1 email) and recovery codes.
        users = await seeder.users("m2f", REUSABLE_USERS)
        ids = [user_id for user_id, _ in users]
        await seeder.app_authenticators(ids, "Phone")
        await seeder.app_authenticators(ids, "Tablet")
        await seeder.email_authenticators(users, "Work email")
        await seeder.recovery_codes(ids)
        items["myTwoFactor"] = [{"token": t} for t in await seeder.sessions(ids, SessionState.DONE)]

        # setUpApp: signed-in users without 2FA, each starting as many set-ups as a user may have
        # open at once, far apart in the order (a request of each user, then a second of each ...).
        # (Builds from before the limit existed allow any number; 5 keeps the same shape.)
        per_user = getattr(rules, "MAX_OPEN_SETUPS_PER_USER", 5)
        for flow, prefix in (("setUpApp", "app"), ("setUpAppPng", "apppng"), ("setUpAppKey", "appkey")):
            ids = [user_id for user_id, _ in await seeder.users(prefix, -(-pool.get(flow, 0) // per_user))]
            app_tokens = await seeder.sessions(ids, SessionState.DONE)
            items[flow] = [{"token": t} for _ in range(per_user) for t in app_tokens]

        # submitCode: one pending APP set-up per user; the code is computed when sent.
        ids = [user_id for user_id, _ in await seeder.users("submit", pool["submitCode"])]
        session_tokens = await seeder.sessions(ids, SessionState.DONE)
        setups = await seeder.app_setups(ids)
        items["submitCode"] = [
            {"token": token, "vars": {"id": setup_id, "name": "Phone"}, "totp": secret}
            for token, (setup_id, secret) in zip(session_tokens, setups, strict=True)
        ]

        # verifyLogin: users with one APP authenticator (and recovery codes) at a sign-in challenge.
        ids = [user_id for user_id, _ in await seeder.users("verify", pool["verifyLogin"])]
        authenticators = await seeder.app_authenticators(ids, "Phone")
        await seeder.recovery_codes(ids)
        session_tokens = await seeder.sessions(ids, SessionState.CHALLENGE)
        items["verifyLogin"] = [
            {"token": token, "vars": {"id": str(authenticator_id)}, "totp": secret}
            for token, (authenticator_id, secret) in zip(session_tokens, authenticators, strict=True)
        ]

        # setUpEmail: one per user (a user has 5 set-up code mails an hour).
        ids = [user_id for user_id, _ in await seeder.users("email", pool["setUpEmail"])]
        items["setUpEmail"] = [
            {"token": t, "vars": {"name": "Work email"}} for t in await seeder.sessions(ids, SessionState.DONE)
        ]

        # login: one user per connection (the per-account throttle allows 10 failures in flight).
        users = await seeder.users("login", REUSABLE_USERS)
        items["login"] = [{"vars": {"email": email, "password": PASSWORD}} for _, email in users]
        items["session"] = items["myTwoFactor"]

        # sendLoginCode: users with an EMAIL authenticator at a sign-in challenge (one code mail each).
        users = await seeder.users("code", pool.get("sendLoginCode", 0))
        ids = [user_id for user_id, _ in users]
        await seeder.email_authenticators(users, "Work email")
        found = await authenticator_ids(ids)
        items["sendLoginCode"] = [
            {"token": token, "vars": {"id": str(found[user_id])}}
            for user_id, token in zip(ids, await seeder.sessions(ids, SessionState.CHALLENGE), strict=True)
        ]

        # remove: users with two apps and a session that proved a factor just now; one app goes.
        ids = [user_id for user_id, _ in await seeder.users("remove", pool.get("remove", 0))]
        await seeder.app_authenticators(ids, "Phone")
        removed = await seeder.app_authenticators(ids, "Tablet")
        await seeder.recovery_codes(ids)
        items["remove"] = [
            {"token": token, "vars": {"id": str(authenticator_id)}}
            for token, (authenticator_id, _) in zip(await seeder.sessions(ids, SessionState.DONE), removed, strict=True)
        ]

        # regenerateRecoveryCodes: users with an app and codes, a session that proved a factor just now.
        ids = [user_id for user_id, _ in await seeder.users("regen", pool.get("regenerateRecoveryCodes", 0))]
        await seeder.app_authenticators(ids, "Phone")
        await seeder.recovery_codes(ids)
        items["regenerateRecoveryCodes"] = [{"token": t} for t in await seeder.sessions(ids, SessionState.DONE)]
        items["hello"] = [{}]
        return items
    finally:
        await Tortoise.close_connections()


def secret_key() -> str:
    return secrets.token_urlsafe(48)


def main(argv: list[str]) -> int:
    """`python bench/flows.py DATABASE_URL SECRET_KEY POOL_JSON OUT`: seed with the twofactor this
    Python imports (bench/run --against runs it with each build's own interpreter) and write the
    request items to OUT as JSON."""
    url, key, pool, out = argv
    items = asyncio.run(seed(url, key, json.loads(pool)))
    with open(out, "w") as handle:
        json.dump(items, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
