"""Completing a set-up: the one transaction that turns a set-up whose code was right into an
authenticator, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from twofactor.models import raw_sql
from twofactor.models.audit import AuditNote, write_audit
from twofactor.models.bounds import open_setups
from twofactor.models.mail_queue import queue_message
from twofactor.models.outbox import OutboxMessage, OutboxStatus
from twofactor.models.security_keys import NewSecurityKey, WebAuthnChallenge, store_security_key
from twofactor.models.sessions import challenge_unproved_sessions, other_setup_sessions
from twofactor.models.two_factor import OPEN_SETUP_STATUSES, Authenticator, Method, RecoveryCode, Setup, SetupStatus
from twofactor.models.users import Session, SessionState, User, lock_user


@dataclass(frozen=True)
class TooManyOpenSetups:
    """A set-up not started: the user has the most set-ups in progress allowed, oldest ending first."""

    open_setups: list[Setup]


class _Full(Exception):
    def __init__(self, open_now: list[Setup]) -> None:
        super().__init__("too many open set-ups")
        self.open_now = open_now


async def start_setup(
    setup: Setup,
    *,
    max_open: int,
    moment: datetime,
    audit: AuditNote,
    code_mail: OutboxMessage | None = None,
    challenge: WebAuthnChallenge | None = None,
) -> Setup | TooManyOpenSetups:
    """Store a new set-up (built by the caller) with its audit row and, for EMAIL, its code mail
    (for SECURITY_KEY, its challenge), in one transaction; unless the user has `max_open` set-ups
    in progress at `moment`.

    The user's row is locked first, so parallel starts count one after the other and cannot
    together pass the cap (tests/test_bounds.py).
    """

    async def work(connection: BaseDBAsyncClient) -> Setup:
        await lock_user(setup.user_id, connection)
        open_now = await open_setups(setup.user_id, moment, connection)
        if len(open_now) >= max_open:
            raise _Full(open_now)
        await setup.save(using_db=connection, force_create=True)
        await write_audit(audit, connection)
        if code_mail is not None:
            await queue_message(code_mail, connection)
        if challenge is not None:
            await challenge.save(using_db=connection, force_create=True)
        return setup

    try:
        return await raw_sql.in_transaction_again_after_deadlock(work)
    except _Full as full:
        return TooManyOpenSetups(full.open_now)


class SetupNotCompleted(StrEnum):
    """Why a set-up whose code was right made no authenticator; nothing was written."""

    # Ended, or (for a code whose try was not counted) its tries were spent meanwhile.
    SETUP_NOT_OPEN = "setup_not_open"
    # A code whose try was not counted, from a user who must wait now.
    USER_WAITS = "user_waits"
    # A set-up-only session whose user has an authenticator now: it must pass a challenge.
    OUTDATED_SESSION = "outdated_session"
    # Another of the user's authenticators took the name first (the unique index).
    NAME_TAKEN = "name_taken"
    # SECURITY_KEY: the set-up's challenge was used or expired meanwhile.
    CHALLENGE_USED = "challenge_used"
    # SECURITY_KEY: the credential is registered already (the unique index).
    CREDENTIAL_TAKEN = "credential_taken"


@dataclass(frozen=True)
class NewAuthenticator:
    """What a completed set-up stores as the authenticator."""

    method: Method
    name: str
    name_key: str
    email: str | None
    secret_encrypted: str | None
    # The set-up's own time step (APP), so that its code cannot be replayed at sign-in; else -1.
    last_step: int
    # SECURITY_KEY: the verified credential, stored beside the authenticator.
    security_key: NewSecurityKey | None = None


@dataclass(frozen=True)
class CompletedSetup:
    """A completed set-up: the new authenticator, whether it is the user's first, the sessions
    moved to the challenge (their subscribers are told after the commit)."""

    authenticator: Authenticator
    first: bool
    challenged_session_ids: list[int]


class _Undo(Exception):
    """Leave the transaction, rolling back what it wrote, with the reason."""

    def __init__(self, reason: SetupNotCompleted) -> None:
        super().__init__(reason)
        self.reason = reason


async def complete_setup(
    *,
    setup_id: uuid.UUID,
    user_id: int,
    session_id: int,
    session_state: SessionState,
    new: NewAuthenticator,
    counted: bool,
    tries: int,
    recovery_digests: list[str] | None,
    moment: datetime,
    full_session_expires_at: datetime,
    challenge_expires_at: datetime,
    audit: AuditNote,
    notice: OutboxMessage,
) -> CompletedSetup | SetupNotCompleted:
    """Turn a set-up whose code was right into an authenticator, all or nothing, in one transaction.

    The set-up is claimed once (a guarded update of its status), the user's failures in a row
    end, the authenticator is made; a first factor gets the new recovery codes
    (`recovery_digests`, shown to `session_id`) and moves the user's other sessions that never
    proved a factor to the challenge; other set-up-only sessions end; the session is marked as
    having proved a factor (a set-up-only one becomes full); the audit row and the notice mail
    are written with it.

    `counted`: whether the code's try was counted before. If not, the set-up is claimed only
    with a try left (of `tries`) and the failures end only if the user does not wait at `moment`.
    """

    async def work(connection: BaseDBAsyncClient) -> CompletedSetup:
        # The set-up's row first, then the user's: the order a code check takes them, so that a
        # check beside this transaction cannot deadlock with it (PostgreSQL).
        tries_used_at_most = tries if counted else tries - 1
        claimed = (
            await Setup.filter(id=setup_id, status__in=OPEN_SETUP_STATUSES, failed_attempts__lte=tries_used_at_most)
            .using_db(connection)
            .update(status=SetupStatus.VERIFIED, code_digest=None, secret_encrypted=None, version=F("version") + 1)
        )
        if not claimed:
            raise _Undo(SetupNotCompleted.SETUP_NOT_OPEN)
        # Ending the failures locks the user's row until the commit (SQLite's transaction holds
        # the write lock already): one change to a user's factors at a time, so the count below
        # is current (tests/test_setup_app.py: parallel first set-ups make one set of codes).
        user_row = User.filter(id=user_id)
        if not counted:
            user_row = user_row.filter(
                Q(verification_blocked_until__isnull=True) | Q(verification_blocked_until__lte=moment)
            )
        if not await user_row.using_db(connection).update(failed_verifications=0, verification_blocked_until=None):
            raise _Undo(SetupNotCompleted.USER_WAITS)
        first = not await Authenticator.filter(user_id=user_id).using_db(connection).exists()
        if session_state == SessionState.SETUP and not first:
            raise _Undo(SetupNotCompleted.OUTDATED_SESSION)
        try:
            authenticator = await Authenticator.create(
                using_db=connection,
                user_id=user_id,
                method=new.method,
                name=new.name,
                name_key=new.name_key,
                email=new.email,
                secret_encrypted=new.secret_encrypted,
                last_step=new.last_step,
                created_at=moment,
                last_used_at=moment,  # by the set-up's code
            )
        except IntegrityError:
            raise _Undo(SetupNotCompleted.NAME_TAKEN) from None
        if new.security_key is not None:
            try:
                stored = await store_security_key(authenticator.id, new.security_key, moment, connection)
            except IntegrityError:
                raise _Undo(SetupNotCompleted.CREDENTIAL_TAKEN) from None
            if not stored:
                raise _Undo(SetupNotCompleted.CHALLENGE_USED)
        if first and recovery_digests is not None:
            await replace_recovery_codes(user_id, recovery_digests, session_id, connection)
        proved = Session.filter(id=session_id).using_db(connection)
        if session_state == SessionState.SETUP:
            await proved.update(second_factor_at=moment, state=SessionState.DONE, expires_at=full_session_expires_at)
        else:
            await proved.update(second_factor_at=moment)
        await other_setup_sessions(user_id, session_id).using_db(connection).delete()
        challenged = (
            await challenge_unproved_sessions(user_id, session_id, challenge_expires_at, connection) if first else []
        )
        await write_audit(audit.adding(authenticator_id=authenticator.id), connection)
        await queue_message(notice, connection)
        return CompletedSetup(authenticator, first, challenged)

    try:
        return await raw_sql.in_transaction_again_after_deadlock(work)
    except _Undo as undo:
        return undo.reason


async def replace_recovery_codes(
    user_id: int, digests: list[str], minted_by_session_id: int, connection: BaseDBAsyncClient
) -> None:
    """The user's recovery codes become exactly `digests` (the old set stops working), marked as
    shown to `minted_by_session_id`: they never confirm that session's own changes."""
    await RecoveryCode.filter(user_id=user_id).using_db(connection).delete()
    await RecoveryCode.bulk_create(
        [RecoveryCode(user_id=user_id, code_digest=d, minted_by_session_id=minted_by_session_id) for d in digests],
        using_db=connection,
    )


# Runs for every code mail the worker settles: a plain statement (models/raw_sql.py). Only an
# open set-up moves, only from a state this message can explain, and only if no newer mail (a
# resend) replaced this code: the newest mail alone speaks for the set-up.
_MAIL_SETTLED = (
    'UPDATE "setups" SET "status" = ?, "version" = "version" + 1 WHERE "id" = ? AND "status" IN (?, ?) '
    'AND NOT EXISTS (SELECT 1 FROM "outbox" WHERE "setup_id" = ? AND "id" > ?)'
)
_WAITING_FOR_MAIL = (str(SetupStatus.PENDING), str(SetupStatus.CODE_SENT))
_OPEN = tuple(str(status) for status in OPEN_SETUP_STATUSES)
# Runs at every pass of the outbox worker: usually it finds nothing.
_DUE_TO_EXPIRE = 'SELECT "id", "user_id" FROM "setups" WHERE "status" IN (?, ?, ?) AND "expires_at" <= ? LIMIT 100'
_EXPIRE = (
    'UPDATE "setups" SET "status" = ?, "code_digest" = NULL, "secret_encrypted" = NULL, "version" = "version" + 1 '
    'WHERE "id" = ? AND "status" IN (?, ?, ?)'
)


async def note_code_mail_settled(setup_id: uuid.UUID, message_id: int, sent: bool) -> bool:
    """A set-up's code mail was sent (CODE_SENT) or given up on (DELIVERY_FAILED); whether the
    set-up changed (it was waiting for this very mail)."""
    status = SetupStatus.CODE_SENT if sent else SetupStatus.DELIVERY_FAILED
    key = str(setup_id)
    return bool(await raw_sql.execute(_MAIL_SETTLED, str(status), key, *_WAITING_FOR_MAIL, key, message_id))


async def setups_due_to_expire(moment: datetime) -> list[tuple[str, int]]:
    """Open set-ups past their time at `moment` (at most 100): their ids and users."""
    return [(str(setup_id), int(user_id)) for setup_id, user_id in await raw_sql.fetch(_DUE_TO_EXPIRE, *_OPEN, moment)]


async def expire_setup(setup_id: str) -> bool:
    """Mark an open set-up EXPIRED (its secret and code go); whether this call did."""
    return bool(await raw_sql.execute(_EXPIRE, str(SetupStatus.EXPIRED), setup_id, *_OPEN))


async def resend_setup_code(
    setup_id: uuid.UUID,
    *,
    moment: datetime,
    code_digest: str,
    expires_at: datetime,
    resend_at: datetime,
    code_mail: OutboxMessage,
    audit: AuditNote,
) -> bool:
    """A new code for an open EMAIL set-up out of its cooldown, in one transaction: the set-up
    takes the code's digest, a mail still waiting with the old code is dropped, the new one is
    queued. False when the set-up ended or a parallel resend went first (nothing written)."""

    async def work(connection: BaseDBAsyncClient) -> bool:
        cooled = Q(resend_available_at__isnull=True) | Q(resend_available_at__lte=moment)
        changed = (
            await Setup.filter(cooled, id=setup_id, status__in=OPEN_SETUP_STATUSES)
            .using_db(connection)
            .update(
                code_digest=code_digest,
                status=SetupStatus.PENDING,
                expires_at=expires_at,
                resend_available_at=resend_at,
                version=F("version") + 1,
            )
        )
        if not changed:
            return False
        # The old code is dead: a mail still waiting with it would only confuse.
        not_in_flight = Q(claimed_until__isnull=True) | Q(claimed_until__lt=moment)
        await (
            OutboxMessage.filter(not_in_flight, setup_id=setup_id, status=OutboxStatus.PENDING)
            .using_db(connection)
            .update(status=OutboxStatus.FAILED, last_error="Superseded: a newer code was sent")
        )
        await queue_message(code_mail, connection)
        await write_audit(audit, connection)
        return True

    return await raw_sql.in_transaction_again_after_deadlock(work)


async def cancel_open_setup(setup_id: uuid.UUID) -> bool:
    """End an open set-up (its secret or code stops working); whether this call did."""
    changed = await Setup.filter(id=setup_id, status__in=OPEN_SETUP_STATUSES).update(
        status=SetupStatus.CANCELLED, code_digest=None, secret_encrypted=None, version=F("version") + 1
    )
    return bool(changed)


async def lock_setup(setup_id: uuid.UUID) -> None:
    """An open set-up whose tries are spent takes no more codes."""
    await Setup.filter(id=setup_id, status__in=OPEN_SETUP_STATUSES).update(
        status=SetupStatus.LOCKED, version=F("version") + 1
    )


async def note_setup_changed(setup_id: uuid.UUID) -> None:
    """A new version of the set-up (a wrong code was counted), for subscribers to tell old news from new."""
    await Setup.filter(id=setup_id).update(version=F("version") + 1)
