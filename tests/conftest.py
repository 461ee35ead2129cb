"""Fixtures and hooks: the app on SQLite and on PostgreSQL, a real SMTP server. What tests share
besides fixtures (the harness, users, GraphQL documents) is in tests/helpers.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from browser_support import chromium
from helpers import BACKENDS, Harness, fresh_database, make_settings, settle_outbox
from mail_support import SmtpServer
from playwright.async_api import Browser
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from twofactor.models import (
    AuditedWait,
    AuditEvent,
    Authenticator,
    EmailChallenge,
    LoginThrottle,
    OutboxMessage,
    Policy,
    RecoveryCode,
    SecurityKey,
    Session,
    Setup,
    User,
    WebAuthnChallenge,
)
from twofactor.server.app import create_app

# A test that holds only on one database carries its marker (registered in pyproject.toml).
BACKEND_MARKERS = {"postgres_only": "postgres", "sqlite_only": "sqlite"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `postgres_only` or `sqlite_only` runs only with that database's harness:
    its other parametrization is deselected at collection, never skipped in the test's body.
    A marker on a test that does not run on the harness is a mistake, and stops the run."""
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        marks = {mark.name for mark in item.iter_markers() if mark.name in BACKEND_MARKERS}
        if not marks:
            kept.append(item)
            continue
        callspec = getattr(item, "callspec", None)
        backend = None if callspec is None else callspec.params.get("harness")
        if backend is None or len(marks) > 1:
            raise pytest.UsageError(
                f"{item.nodeid}: marked {' and '.join(sorted(marks))}; a database marker belongs on a test "
                "that runs on the app's harness (the `app` or `harness` fixture), one marker per test"
            )
        (kept if BACKEND_MARKERS[marks.pop()] == backend else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
async def harness(
    request: pytest.FixtureRequest, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    kind = request.param
    # Tortoise caches SQL per (connection name, table), not per dialect: switching
    # from SQLite to PostgreSQL in one process must start from an empty cache.
    EXECUTOR_CACHE.clear()
    async with fresh_database(kind, tmp_path_factory.mktemp(kind)) as url:
        settings = make_settings(url, smtp.port)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            yield Harness(app=app, settings=settings, smtp=smtp, backend=kind)


_TABLES = (
    WebAuthnChallenge,
    SecurityKey,
    AuditedWait,
    EmailChallenge,
    RecoveryCode,
    Authenticator,
    Setup,
    Session,
    OutboxMessage,
    AuditEvent,
    LoginThrottle,
    Policy,
    User,
)


@pytest.fixture
async def app(harness: Harness) -> AsyncIterator[Harness]:
    """The app with empty tables and an empty mailbox."""
    for model in _TABLES:
        await model.all().delete()
    Policy.forget_cached()
    harness.smtp.received.clear()
    yield harness
    await settle_outbox(harness)
    assert Tortoise._inited


@pytest.fixture
def ada() -> str:
    """An address of this test's own: mail still in flight from an earlier test cannot land in its mailbox."""
    return f"ada-{uuid.uuid4().hex[:12]}@example.test"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for a browser test module (skipped where Debian's chromium is missing)."""
    async with chromium() as running:
        yield running


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment with no TWOFACTOR_* variable but a private data directory."""
    for name in list(os.environ):
        if name.startswith("TWOFACTOR_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TWOFACTOR_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return monkeypatch
