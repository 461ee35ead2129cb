"""What tests share besides fixtures: the harness around the app, users signed in, GraphQL documents.

Test modules import these from here; tests/conftest.py holds only fixtures and hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from mail_support import Received, SmtpServer
from starlette.applications import Starlette

from twofactor.mail.outbox import OutboxWorker
from twofactor.mail.settings import MailSettings
from twofactor.models import Authenticator, OutboxMessage, OutboxStatus, User
from twofactor.security import totp
from twofactor.security.passwords import hash_password_sync
from twofactor.server.settings import Settings

PG_ADMIN_DSN = os.environ.get("TWOFACTOR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery staple"
# Hashed once: argon2 on purpose costs ~20 ms, and tests create many users.
PASSWORD_HASH = hash_password_sync(PASSWORD)
BACKENDS = os.environ.get("TWOFACTOR_TEST_BACKENDS", "sqlite,postgres").split(",")
REDIS_URL = os.environ.get("TWOFACTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextlib.asynccontextmanager
async def fresh_database(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A new, empty database of `kind`, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite://{tmp / f'test-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"twofactor_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def make_settings(database_url: str, smtp_port: int, **changes: Any) -> Settings:
    settings = Settings(
        env="development",
        database_url=database_url,
        secret_keys=(secrets.token_urlsafe(48),),
        mail=MailSettings(backend="smtp", host="127.0.0.1", port=smtp_port, timeout=5),
        mail_from="twofactor <no-reply@example.test>",
        redis_url=None,
        issuer="Help Center",
        cors_origins=("https://app.example.test",),
        graphiql=True,
        introspection=True,
    )
    return replace(settings, **changes)


@dataclass
class Harness:
    """The running app and what tests need around it."""

    app: Starlette
    settings: Settings
    smtp: SmtpServer
    backend: str

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.ASGITransport(app=self.app, client=("203.0.113.7", 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers, **kwargs)

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        async with self.client(token) as client:
            response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def mails_to(self, address: str, count: int = 1, timeout: float = 10) -> list[Received]:
        """The messages received for `address`, once there are at least `count` (bounded wait)."""
        async with asyncio.timeout(timeout):
            while True:
                found = [m for m in self.smtp.received if address in m.rcpt_tos]
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.02)

    async def mailed_code(self, address: str, count: int = 1) -> str:
        """The six-digit code of the `count`-th message to `address`."""
        message = (await self.mails_to(address, count))[count - 1]
        match = re.search(r"\b(\d{6})\b", message.part("text/plain"))
        assert match, "no code in the message"
        return match.group(1)


async def settle_outbox(harness: Harness, timeout: float = 5) -> None:
    """Let mail the test queued reach the SMTP server, so it does not land in the next test's mailbox."""
    services = harness.app.state.services
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            # Messages that already failed once belong to tests of outages: not worth waiting for.
            while await OutboxMessage.filter(status=OutboxStatus.PENDING, attempts=0).exists():
                if services.outbox is not None:
                    services.outbox.wake()
                await asyncio.sleep(0.02)


async def create_user(email: str = "ada@example.test", *, admin: bool = False, name: str = "Ada") -> User:
    return await User.create(email=email, name=name, is_admin=admin, password_hash=PASSWORD_HASH)


LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token session { nextStep expiresAt user { id email } } authenticators { id name method }
    error { code message retryAfterSeconds }
  }
}"""

SET_UP_APP = """
mutation { myTwoFactor { setUpApp {
  setup { id status method expiresAt attemptsLeft app { setupKey otpauthUri qrCodeSvg qrCodePng digits period } }
  error { code message }
} } }"""

SUBMIT = """
mutation($id: ID!, $code: String!, $name: String) { myTwoFactor { submitCode(setupId: $id, code: $code, name: $name) {
  authenticator { id name method email createdAt lastUsedAt } message recoveryCodes
  setup { id status attemptsLeft app { setupKey } }
  error { code message field attemptsLeft retryAfterSeconds }
} } }"""

SET_UP_EMAIL = """
mutation($name: String!) { myTwoFactor { setUpEmail(name: $name) {
  setup { id status method name email expiresAt attemptsLeft resendAvailableAt app { setupKey } }
  error { code message field retryAfterSeconds }
} } }"""

VERIFY_LOGIN = """
mutation($id: ID!, $code: String!) { verifyLogin(authenticatorId: $id, code: $code) {
  token session { nextStep expiresAt } error { code message attemptsLeft retryAfterSeconds }
} }"""

REMOVE = """
mutation($id: ID!, $code: String) { myTwoFactor { remove(id: $id, code: $code) {
  removedId
  error { code message field attemptsLeft retryAfterSeconds }
} } }"""

MY_TWO_FACTOR = """
{ myTwoFactor { enabled mandatory setupRequired availableMethods recoveryCodesRemaining
  authenticators { id name method email createdAt lastUsedAt } } }"""


async def names(user_id: int) -> list[str]:
    """The user's authenticators' names, oldest first."""
    return [a.name for a in await Authenticator.filter(user_id=user_id).order_by("id")]


async def remove(app: Harness, token: str, authenticator_id: str, code: str | None = None) -> dict[str, Any]:
    body = await app.gql(REMOVE, {"id": authenticator_id, "code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["remove"]
    return payload


async def login(harness: Harness, email: str = "ada@example.test", password: str = PASSWORD) -> dict[str, Any]:
    body = await harness.gql(LOGIN, {"email": email, "password": password})
    payload: dict[str, Any] = body["data"]["login"]
    return payload


async def signed_in(harness: Harness, email: str = "ada@example.test", *, admin: bool = False) -> tuple[User, str]:
    """A user with a full session (no 2FA yet) and its token."""
    user = await create_user(email, admin=admin)
    payload = await login(harness, email)
    assert payload["session"]["nextStep"] == "DONE", payload
    return user, payload["token"]


def secret_of(setup: dict[str, Any]) -> str:
    return str(setup["app"]["setupKey"]).replace(" ", "")


async def add_app(harness: Harness, token: str, name: str = "Phone") -> tuple[dict[str, Any], str, int]:
    """Set up an authenticator app; (submitCode payload, secret, the step its code used)."""
    setup = (await harness.gql(SET_UP_APP, token=token))["data"]["myTwoFactor"]["setUpApp"]["setup"]
    secret = secret_of(setup)
    step = totp.current_step()
    payload = await harness.gql(
        SUBMIT, {"id": setup["id"], "code": totp.code_at(secret, step), "name": name}, token=token
    )
    result: dict[str, Any] = payload["data"]["myTwoFactor"]["submitCode"]
    assert result["error"] is None, result
    return result, secret, step


async def signed_in_again(harness: Harness, email: str, authenticator_id: str, secret: str, step: int) -> str:
    """Another full session of a user with an app, signed in with its code of `step` + 1: one that
    was not shown the recovery codes of the user's first set-up. Its (new) token."""
    challenged = await login(harness, email)
    assert challenged["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE", challenged
    variables = {"id": authenticator_id, "code": totp.code_at(secret, step + 1)}
    passed = (await harness.gql(VERIFY_LOGIN, variables, token=challenged["token"]))["data"]["verifyLogin"]
    assert passed["error"] is None, passed
    token: str = passed["token"]
    return token


class CountedWorker(OutboxWorker):
    """The outbox worker, telling the test how many messages each of its passes handled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passes: asyncio.Queue[int] = asyncio.Queue()

    async def run_once(self) -> int:
        handled = await super().run_once()
        self.passes.put_nowait(handled)
        return handled


async def until_healthy(
    process: subprocess.Popen[bytes], url: str, what: str, output: Callable[[], str], timeout: float
) -> None:
    """Wait (at most `timeout` s) until the server at `url` answers /healthz; fail with its output
    when it exits or never does."""
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(timeout):
            while True:
                if process.poll() is not None:
                    pytest.fail(f"{what} exited ({process.returncode}):\n{output()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
    except TimeoutError:
        pytest.fail(f"{what} not healthy after {timeout} s:\n{output()}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a server as a deployment does (SIGTERM), killing it if it has not ended in 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
