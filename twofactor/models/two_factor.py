"""Second factors: authenticators, set-ups in progress, email challenges, recovery codes."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Self

from tortoise import fields
from tortoise.models import Model

from twofactor.models.users import Session, User


class DescribedEnum(StrEnum):
    """A stored enum whose members may carry the sentence that describes them to API clients:
    `NAME = "NAME", "What it means."`. schema/types.py exposes such an enum to the API as it is,
    so a member added here is a value of the API, described, in one line."""

    description: str | None

    def __new__(cls, value: str, description: str | None = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


class Method(DescribedEnum):
    """How an authenticator proves possession (the API's TwoFactorMethod)."""

    EMAIL = "EMAIL", "A code mailed to the address the user signs in with."
    APP = "APP", "A time-based code (RFC 6238) from an authenticator app."
    SECURITY_KEY = "SECURITY_KEY", "A security key or passkey (WebAuthn)."


class SetupStatus(DescribedEnum):
    """Where a set-up stands; the last four are final (the API's VerificationStatus)."""

    PENDING = "PENDING", "Waiting for the code. For EMAIL: the message is queued for delivery."
    CODE_SENT = "CODE_SENT", "EMAIL: the mail server accepted the message with the code."
    DELIVERY_FAILED = "DELIVERY_FAILED", "EMAIL: the message could not be delivered after retries; resend is possible."
    VERIFIED = "VERIFIED", "The right code was submitted: the authenticator exists now."
    EXPIRED = "EXPIRED"
    LOCKED = "LOCKED", "Too many wrong codes: start again."
    CANCELLED = "CANCELLED"


OPEN_SETUP_STATUSES = (SetupStatus.PENDING, SetupStatus.CODE_SENT, SetupStatus.DELIVERY_FAILED)


class Authenticator(Model):
    """One second factor of a user, of either method, with the same lifecycle."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "twofactor.User", related_name="authenticators", on_delete=fields.CASCADE
    )
    user_id: int
    method = fields.CharEnumField(Method, max_length=16)
    name = fields.CharField(max_length=64)
    # Case-folded name: unique per user, so "Phone" and "PHONE" cannot both exist.
    name_key = fields.CharField(max_length=256)
    email = fields.CharField(max_length=254, null=True)
    # APP: the AES-GCM-encrypted TOTP secret and the last accepted time step (replay guard).
    secret_encrypted = fields.TextField(null=True)
    last_step = fields.BigIntField(default=-1)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "authenticators"
        unique_together = (("user", "name_key"),)

    def __repr__(self) -> str:
        return f"Authenticator(id={self.id}, user_id={self.user_id}, method={self.method})"


class Setup(Model):
    """A set-up in progress, from 'Set up ...' until 'Submit Code and Create'."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "twofactor.User", related_name="setups", on_delete=fields.CASCADE
    )
    user_id: int
    method = fields.CharEnumField(Method, max_length=16)
    status = fields.CharEnumField(SetupStatus, max_length=16, default=SetupStatus.PENDING)
    name = fields.CharField(max_length=64, null=True)
    email = fields.CharField(max_length=254, null=True)
    secret_encrypted = fields.TextField(null=True)
    code_digest = fields.CharField(max_length=64, null=True)
    failed_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    resend_available_at = fields.DatetimeField(null=True)
    # Bumped at each change so subscribers and the outbox can tell old news from new.
    version = fields.IntField(default=0)

    class Meta:
        table = "setups"
        # The expiry sweep (open set-ups past their time) and a user's set-ups (a reset).
        indexes = (("status", "expires_at"), ("user_id",))

    def __repr__(self) -> str:
        return f"Setup(id={self.id}, user_id={self.user_id}, status={self.status})"


class EmailChallenge(Model):
    """An email code for one session and one EMAIL authenticator (sign-in or removal)."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "twofactor.Session", related_name="email_challenges", on_delete=fields.CASCADE
    )
    session_id: int
    authenticator: fields.ForeignKeyRelation[Authenticator] = fields.ForeignKeyField(
        "twofactor.Authenticator", related_name="challenges", on_delete=fields.CASCADE
    )
    authenticator_id: int
    code_digest = fields.CharField(max_length=64)
    failed_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "email_challenges"
        unique_together = (("session", "authenticator"),)

    def __repr__(self) -> str:
        return f"EmailChallenge(id={self.id}, session_id={self.session_id})"


class RecoveryCode(Model):
    """One single-use recovery code, stored as an HMAC digest."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "twofactor.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    user_id: int
    code_digest = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)
    # The session that was shown this set: its codes never prove a fresh factor to that session.
    minted_by_session_id = fields.IntField(null=True)

    class Meta:
        table = "recovery_codes"
        # Read by user on every `myTwoFactor` (the count left): without it, a scan of every user's codes.
        indexes = (("user_id",),)

    def __repr__(self) -> str:
        return f"RecoveryCode(id={self.id}, user_id={self.user_id})"


async def name_in_use(user_id: int, key: str, except_id: int | None = None) -> bool:
    """Whether another of the user's authenticators (not `except_id`) has the name whose key is `key`."""
    others = Authenticator.filter(user_id=user_id, name_key=key)
    if except_id is not None:
        others = others.exclude(id=except_id)
    return await others.exists()


async def has_two_factor(user_id: int) -> bool:
    """Whether the user has at least one authenticator."""
    return await Authenticator.filter(user_id=user_id).exists()


async def authenticators_of(user_id: int) -> list[Authenticator]:
    """The user's authenticators, read now (in no particular order)."""
    return await Authenticator.filter(user_id=user_id)


async def other_authenticators_count(user_id: int, authenticator_id: int) -> int:
    """How many authenticators the user has besides `authenticator_id`."""
    return await Authenticator.filter(user_id=user_id).exclude(id=authenticator_id).count()


async def reseal_secrets(reseal: Callable[[int, str], str | None]) -> int:
    """Store `reseal(user_id, sealed)` in place of each sealed TOTP secret (authenticators' and
    set-ups') it gives a new one for; how many were replaced.

    A row is replaced only if it still holds the ciphertext that was read, so a concurrent
    change is never overwritten.
    """
    replaced = 0
    for model in (Authenticator, Setup):
        rows = await model.filter(secret_encrypted__isnull=False).values_list("id", "user_id", "secret_encrypted")
        for row_id, user_id, sealed in rows:
            fresh = reseal(int(user_id), sealed)
            if fresh is not None:
                replaced += await model.filter(id=row_id, secret_encrypted=sealed).update(secret_encrypted=fresh)
    return replaced
