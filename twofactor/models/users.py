"""Users and their sessions."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from twofactor.models import raw_sql


class User(Model):
    """Someone who signs in. Failure counters live here so every process sees them."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    is_admin = fields.BooleanField(default=False)
    password_hash = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Second-factor failures in a row, across sessions; reset by a success.
    failed_verifications = fields.IntField(default=0)
    verification_blocked_until = fields.DatetimeField(null=True)
    # Code mails: the hourly cap, claimed with conditional updates. The resend cooldown is each
    # set-up's and each sign-in challenge's own: `last_code_sent_at` is no longer written.
    last_code_sent_at = fields.DatetimeField(null=True)
    send_window_start = fields.DatetimeField(null=True)
    sends_in_window = fields.IntField(default=0)
    # Sign-in code mails of sessions not from a known device: a budget of their own, so a
    # stranger with the password cannot spend the one above.
    sign_in_send_window_start = fields.DatetimeField(null=True)
    sign_in_sends_in_window = fields.IntField(default=0, db_default=0)
    # How many authenticators the user has, kept by the database's triggers on every insert
    # and delete (migration 0004): a statement that locks this row reads it up to date.
    authenticator_count = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "users"

    def __repr__(self) -> str:
        return f"User(id={self.id})"


class SessionState(StrEnum):
    """How far a sign-in has come."""

    CHALLENGE = "challenge"  # password ok, second factor owed
    SETUP = "setup"  # password ok, 2FA mandatory, none set up yet
    DONE = "done"


class Session(Model):
    """A sign-in. The token itself is never stored, only its SHA-256."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "twofactor.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    state = fields.CharEnumField(SessionState, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    # When this session last proved a second factor (sign-in, set-up or fresh code).
    second_factor_at = fields.DatetimeField(null=True)
    # Wrong codes at this sign-in challenge.
    failed_attempts = fields.IntField(default=0)
    ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=300, null=True)
    # When the session last made a request, to the minute (`note_seen`); None: not since sign-in.
    last_seen_at = fields.DatetimeField(null=True)
    # The known device (models/devices.py) the sign-in came from or was given, and whether
    # that device had passed a second factor before: its wrong codes and code mails then
    # count on its own allowance.
    device_id = fields.IntField(null=True)
    trusted_device = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "sessions"
        # A user's sessions are ended together (a set-up finished elsewhere, a reset):
        # without it, each of those deletes scanned every session of every user.
        indexes = (("user_id", "state"),)

    def __repr__(self) -> str:
        return f"Session(id={self.id}, user_id={self.user_id}, state={self.state})"


async def lock_user(user_id: int, connection: BaseDBAsyncClient) -> None:
    """Hold the user's row until the transaction ends: one change to a user's factors at a time.

    PostgreSQL only: a SQLite transaction holds the whole database's write lock from its
    start (twofactor/server/sqlite_backend.py).
    """
    if not raw_sql.is_sqlite(connection):
        await User.filter(id=user_id).select_for_update().using_db(connection).only("id").first()


async def user_by_id(user_id: int) -> User | None:
    """The user with this id, or None."""
    return await User.get_or_none(id=user_id)


async def create_user(email: str, name: str, *, is_admin: bool, password_hash: str) -> User | None:
    """A new user with this (normalized) address; None when a user has it already."""
    if await User.exists(email=email):
        return None
    try:
        return await User.create(email=email, name=name, is_admin=is_admin, password_hash=password_hash)
    except IntegrityError:  # a parallel create took the address first
        return None
