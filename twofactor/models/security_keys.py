"""Security keys and passkeys (WebAuthn): the credential behind a SECURITY_KEY authenticator, and
the server-side challenges a browser signs, each single use and bound to one set-up or one session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.models import Model

from twofactor.models import raw_sql
from twofactor.models.audit import AuditNote, write_audit
from twofactor.models.mail_queue import queue_message
from twofactor.models.outbox import OutboxMessage
from twofactor.models.two_factor import Authenticator, Setup
from twofactor.models.users import Session


class SecurityKey(Model):
    """The public key credential of one SECURITY_KEY authenticator."""

    id = fields.IntField(primary_key=True)
    authenticator: fields.OneToOneRelation[Authenticator] = fields.OneToOneField(
        "twofactor.Authenticator", related_name="security_key", on_delete=fields.CASCADE
    )
    authenticator_id: int
    # The credential id (base64url, at most 1023 bytes raw): unique across all users, as WebAuthn requires.
    credential_id = fields.CharField(max_length=1400, unique=True)
    # The COSE public key (base64url): public, but only this key's signatures prove possession.
    public_key = fields.TextField()
    # The signature counter as last seen: one that goes backwards suspends the key (a clone).
    sign_count = fields.BigIntField(default=0)
    # The opaque user handle the key stores for this user (base64url): never the user's id or address.
    user_handle = fields.CharField(max_length=128)
    aaguid = fields.CharField(max_length=36, null=True)
    # Backup eligible: a passkey that may sync between devices. Backup state: synced now.
    backup_eligible = fields.BooleanField(default=False)
    backup_state = fields.BooleanField(default=False)
    # How the browser can reach it (usb, nfc, ble, internal, hybrid), comma-separated.
    transports = fields.CharField(max_length=200, default="")
    suspended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "security_keys"

    def __repr__(self) -> str:
        return f"SecurityKey(id={self.id}, authenticator_id={self.authenticator_id})"


class WebAuthnChallenge(Model):
    """A challenge handed to a browser, for one set-up or one session, used at most once.

    A set-up's registers a key; a session's signs in (or proves a fresh factor); either only
    until `expires_at`."""

    id = fields.IntField(primary_key=True)
    user_id = fields.IntField()
    setup: fields.OneToOneNullableRelation[Setup] = fields.OneToOneField(
        "twofactor.Setup", related_name="webauthn_challenge", on_delete=fields.CASCADE, null=True
    )
    setup_id: uuid.UUID | None
    session: fields.OneToOneNullableRelation[Session] = fields.OneToOneField(
        "twofactor.Session", related_name="webauthn_challenge", on_delete=fields.CASCADE, null=True
    )
    session_id: int | None
    # base64url of the random bytes; compared with the one in the browser's clientDataJSON.
    challenge = fields.CharField(max_length=128)
    # A set-up's creation options (JSON), shown again whenever the set-up is read.
    options = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webauthn_challenges"

    def __repr__(self) -> str:
        return f"WebAuthnChallenge(id={self.id}, user_id={self.user_id})"


async def security_keys_of(user_id: int) -> list[SecurityKey]:
    """The user's security keys (suspended ones too), oldest first."""
    return await SecurityKey.filter(authenticator__user_id=user_id).order_by("id")


async def security_key_of_authenticator(authenticator_id: int) -> SecurityKey | None:
    """The security key of a SECURITY_KEY authenticator."""
    return await SecurityKey.get_or_none(authenticator_id=authenticator_id)


async def security_keys_of_authenticators(authenticator_ids: list[int]) -> dict[int, SecurityKey]:
    """The security keys of these SECURITY_KEY authenticators, by authenticator id (one query)."""
    if not authenticator_ids:
        return {}
    keys = await SecurityKey.filter(authenticator_id__in=authenticator_ids)
    return {key.authenticator_id: key for key in keys}


async def credential_registered(credential_id: str) -> bool:
    """Whether any user has a security key with this credential id."""
    return await SecurityKey.filter(credential_id=credential_id).exists()


async def setup_challenge(setup_id: uuid.UUID) -> WebAuthnChallenge | None:
    """The challenge of a SECURITY_KEY set-up, used or not."""
    return await WebAuthnChallenge.get_or_none(setup_id=setup_id)


async def session_challenge(session_id: int) -> WebAuthnChallenge | None:
    """The session's latest sign-in (or fresh factor) challenge, used or not."""
    return await WebAuthnChallenge.get_or_none(session_id=session_id)


async def replace_session_challenge(
    *, session_id: int, user_id: int, challenge: str, moment: datetime, expires_at: datetime
) -> None:
    """The session's one challenge becomes `challenge`: an earlier one it was given stops working."""
    fresh: dict[str, Any] = {"user_id": user_id, "challenge": challenge, "created_at": moment, "expires_at": expires_at}
    if await WebAuthnChallenge.filter(session_id=session_id).update(**fresh, used_at=None):
        return
    try:
        await WebAuthnChallenge.create(session_id=session_id, **fresh)
    except IntegrityError:
        # A parallel request made the session's row first: this one's challenge replaces it.
        await WebAuthnChallenge.filter(session_id=session_id).update(**fresh, used_at=None)


async def claim_challenge(
    challenge_id: int, challenge: str, moment: datetime, connection: BaseDBAsyncClient | None = None
) -> bool:
    """Use a challenge once, as it was read (its row still holds `challenge`): of parallel requests
    only one wins, and an expired or replaced one never does."""
    claimed = await (
        WebAuthnChallenge.filter(id=challenge_id, challenge=challenge, used_at__isnull=True, expires_at__gt=moment)
        .using_db(connection)
        .update(used_at=moment)
    )
    return bool(claimed)


@dataclass(frozen=True)
class NewSecurityKey:
    """The verified credential a SECURITY_KEY set-up stores, with the challenge it answered."""

    challenge_id: int
    challenge: str
    credential_id: str
    public_key: str
    sign_count: int
    user_handle: str
    aaguid: str | None
    backup_eligible: bool
    backup_state: bool
    transports: str


async def store_security_key(
    authenticator_id: int, new: NewSecurityKey, moment: datetime, connection: BaseDBAsyncClient
) -> bool:
    """In the set-up's transaction: claim its challenge and store the key. False when the challenge
    was used or expired meanwhile; IntegrityError when the credential is registered already."""
    if not await claim_challenge(new.challenge_id, new.challenge, moment, connection):
        return False
    await SecurityKey.create(
        using_db=connection,
        authenticator_id=authenticator_id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        user_handle=new.user_handle,
        aaguid=new.aaguid,
        backup_eligible=new.backup_eligible,
        backup_state=new.backup_state,
        transports=new.transports,
    )
    return True


class KeyUse(StrEnum):
    """What became of an assertion that verified (`key_signed_in`)."""

    SIGNED_IN = "signed_in"
    # Its challenge was used, replaced or expired meanwhile: nothing written.
    CHALLENGE_GONE = "challenge_gone"
    # The key's counter reached the reported one meanwhile (a parallel sign-in with the same key, or
    # a copy of it), the key was suspended or removed: nothing written, the challenge still unused.
    COUNTER_BEHIND = "counter_behind"


async def key_signed_in(
    *,
    challenge_id: int,
    challenge: str,
    key: SecurityKey,
    sign_count: int,
    backup_state: bool,
    moment: datetime,
    fresh_session_id: int | None,
) -> KeyUse:
    """An assertion that verified, in one transaction: its challenge is claimed (once), the key
    keeps the new counter and backup state, its authenticator the time of use; `fresh_session_id`
    (a signed-in session proving a fresh factor) records it."""

    async def work(connection: BaseDBAsyncClient) -> KeyUse:
        if not await claim_challenge(challenge_id, challenge, moment, connection):
            return KeyUse.CHALLENGE_GONE
        # Only forward, and never on a suspended key (a parallel request may have suspended it).
        forward = Q(sign_count__lt=sign_count) | Q(sign_count=0)
        counted = (
            await SecurityKey.filter(forward, id=key.id, suspended_at__isnull=True)
            .using_db(connection)
            .update(sign_count=max(sign_count, key.sign_count), backup_state=backup_state)
        )
        if not counted:
            raise _Lost
        await Authenticator.filter(id=key.authenticator_id).using_db(connection).update(last_used_at=moment)
        if fresh_session_id is not None:
            await Session.filter(id=fresh_session_id).using_db(connection).update(second_factor_at=moment)
        return KeyUse.SIGNED_IN

    try:
        return await raw_sql.in_transaction_again_after_deadlock(work)
    except _Lost:
        return KeyUse.COUNTER_BEHIND


class _Lost(Exception):
    """Leave the transaction, rolling back the challenge's claim."""


async def suspend_security_key(key_id: int, moment: datetime, audit: AuditNote, notice: OutboxMessage) -> bool:
    """Suspend a key whose counter went backwards, with its audit row and the user's notice, in one
    transaction; False when it was suspended already (nothing written)."""

    async def work(connection: BaseDBAsyncClient) -> bool:
        suspended = (
            await SecurityKey.filter(id=key_id, suspended_at__isnull=True)
            .using_db(connection)
            .update(suspended_at=moment)
        )
        if not suspended:
            return False
        await write_audit(audit, connection)
        await queue_message(notice, connection)
        return True

    return await raw_sql.in_transaction_again_after_deadlock(work)
