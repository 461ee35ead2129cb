"""Rare changes to a user's second factors, each one plain transaction: removing an
authenticator, a new set of recovery codes, an administrator's reset, the policy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from twofactor.models import raw_sql
from twofactor.models.audit import AuditNote, write_audit
from twofactor.models.devices import distrust_devices
from twofactor.models.mail_queue import queue_message
from twofactor.models.outbox import OutboxMessage
from twofactor.models.policy import Policy
from twofactor.models.sessions import end_other_sessions
from twofactor.models.setups import replace_recovery_codes
from twofactor.models.two_factor import Authenticator, RecoveryCode, Setup
from twofactor.models.users import Session, User, lock_user


class NotRemoved(StrEnum):
    """Why an authenticator was not removed; nothing was written."""

    NOT_FOUND = "not_found"
    # 2FA is mandatory and it is the user's last (a parallel removal may have taken the other).
    LAST_AUTHENTICATOR = "last_authenticator"


@dataclass(frozen=True)
class Removed:
    """A removal: the sessions it ended (the user has no second factor left), to tell after the commit."""

    ended_session_ids: list[int]


class _Undo(Exception):
    def __init__(self, reason: NotRemoved) -> None:
        super().__init__(reason)
        self.reason = reason


async def remove_authenticator(
    *,
    user_id: int,
    authenticator_id: int,
    keep_session_id: int,
    mandatory: bool,
    audit: AuditNote,
    notice: OutboxMessage,
) -> Removed | NotRemoved:
    """Remove one of the user's authenticators in one transaction, never the last while 2FA is
    `mandatory`. Without any left, the recovery codes go (they would be a back door, not a
    backup) and the other sessions end (they proved a factor that is gone)."""

    async def work(connection: BaseDBAsyncClient) -> Removed:
        # One removal per user at a time, so parallel ones cannot each see the other's row as
        # remaining and together remove the last authenticator (tests/test_hardening.py).
        await lock_user(user_id, connection)
        deleted = await Authenticator.filter(id=authenticator_id, user_id=user_id).using_db(connection).delete()
        if not deleted:
            raise _Undo(NotRemoved.NOT_FOUND)
        remaining = await Authenticator.filter(user_id=user_id).using_db(connection).count()
        if mandatory and remaining == 0:
            raise _Undo(NotRemoved.LAST_AUTHENTICATOR)
        ended: list[int] = []
        if remaining == 0:
            await RecoveryCode.filter(user_id=user_id).using_db(connection).delete()
            ended = await end_other_sessions(user_id, keep_session_id, connection)
        await write_audit(audit.adding(sessions_ended=len(ended)) if ended else audit, connection)
        await queue_message(notice, connection)
        return Removed(ended)

    try:
        # The removal locks the user's row, then the authenticator's; a code check takes them the other way.
        return await raw_sql.in_transaction_again_after_deadlock(work)
    except _Undo as undo:
        return undo.reason


async def regenerate_recovery_codes(
    *, user_id: int, digests: list[str], minted_by_session_id: int, audit: AuditNote, notice: OutboxMessage
) -> None:
    """The user's recovery codes become a new set (`digests`), shown to `minted_by_session_id`;
    the old set stops working. One transaction, with its audit row and notice."""

    async def work(connection: BaseDBAsyncClient) -> None:
        await lock_user(user_id, connection)
        await replace_recovery_codes(user_id, digests, minted_by_session_id, connection)
        await write_audit(audit, connection)
        await queue_message(notice, connection)

    await raw_sql.in_transaction_again_after_deadlock(work)


async def reset_two_factor(user_id: int, audit: AuditNote, notice: OutboxMessage) -> list[int]:
    """Remove every authenticator, recovery code and set-up of the user, end their sessions, their
    failures in a row and what the old factors proved for their devices, in one transaction with
    the audit row (which gets how many authenticators and sessions went) and the notice; the
    ended sessions' ids."""

    async def work(connection: BaseDBAsyncClient) -> list[int]:
        # Set-ups go first, so none can complete after: a set-up being completed right now
        # holds its row (then the user's), and the reset waits for it, then removes what it
        # made. Rows are locked in the order a set-up's completion takes them, never crosswise.
        await Setup.filter(user_id=user_id).using_db(connection).delete()
        await lock_user(user_id, connection)
        sessions = await Session.filter(user_id=user_id).using_db(connection).values_list("id", flat=True)
        # Counted, not the DELETE's row count: SQLite's count includes the rows its trigger
        # changed (users.authenticator_count). The user's row is locked: nothing comes or goes.
        removed = await Authenticator.filter(user_id=user_id).using_db(connection).count()
        await Authenticator.filter(user_id=user_id).using_db(connection).delete()
        await RecoveryCode.filter(user_id=user_id).using_db(connection).delete()
        await Session.filter(user_id=user_id).using_db(connection).delete()
        await distrust_devices(user_id, connection)
        await (
            User.filter(id=user_id).using_db(connection).update(failed_verifications=0, verification_blocked_until=None)
        )
        await write_audit(audit.adding(authenticators_removed=removed, sessions_ended=len(sessions)), connection)
        await queue_message(notice, connection)
        return [int(str(s)) for s in sessions]

    # The reset locks the user's row, then the sessions'; a code check takes one at a time, or
    # (at a sign-in) the user's first too (models/attempts.py).
    return await raw_sql.in_transaction_again_after_deadlock(work)


async def change_policy(policy: Policy, audit: AuditNote) -> None:
    """Store the changed policy with its audit row, in one transaction."""

    async def work(connection: BaseDBAsyncClient) -> None:
        await policy.save(using_db=connection)
        await write_audit(audit, connection)

    await raw_sql.in_transaction_again_after_deadlock(work)


async def rename_authenticator(authenticator_id: int, name: str, key: str, audit: AuditNote) -> bool:
    """Rename an authenticator with its audit row, in one transaction; False when another of the
    user's authenticators took the name first (the unique index)."""

    async def work(connection: BaseDBAsyncClient) -> None:
        await Authenticator.filter(id=authenticator_id).using_db(connection).update(name=name, name_key=key)
        await write_audit(audit, connection)

    try:
        await raw_sql.in_transaction_again_after_deadlock(work)
    except IntegrityError:
        return False
    return True
