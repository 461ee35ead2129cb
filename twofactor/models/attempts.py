"""The guarded updates every code check makes: a try of a sign-in challenge or a set-up, the
user's failures in a row, a TOTP time step claimed, a sign-in challenge passed.

They run on every sign-in (a hot path), so they are plain parameterized statements
(models/raw_sql.py), written once for both databases. Each changes its row only while it
is as the request read it (a claim: only forward), and its row count says whether this
request won, so parallel requests never get an extra try or use a code twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from twofactor.models import raw_sql
from twofactor.models.audit import AuditNote, audit_write, write_audit
from twofactor.models.devices import device_passed
from twofactor.models.mail_queue import queue_message
from twofactor.models.outbox import OutboxMessage
from twofactor.models.request_reads import email_challenge_of
from twofactor.models.two_factor import (
    OPEN_SETUP_STATUSES,
    Authenticator,
    EmailChallenge,
    RecoveryCode,
    Setup,
    SetupStatus,
)
from twofactor.models.users import Session, SessionState, User

_OPEN = tuple(str(status) for status in sorted(OPEN_SETUP_STATUSES))

_USER_FAILURES = (
    'UPDATE "users" SET "failed_verifications" = ?, "verification_blocked_until" = ? '
    'WHERE "id" = ? AND "failed_verifications" = ?'
)
_SESSION_TRY = 'UPDATE "sessions" SET "failed_attempts" = ? WHERE "id" = ? AND "failed_attempts" = ?'
_SETUP_TRY = (
    'UPDATE "setups" SET "failed_attempts" = ? WHERE "id" = ? AND "failed_attempts" = ? AND "status" IN (?, ?, ?)'
)
_USER_SUCCEEDED = 'UPDATE "users" SET "failed_verifications" = 0, "verification_blocked_until" = NULL WHERE "id" = ?'
# Of parallel requests with the same step exactly one matches; an older step never does.
_TOTP_CLAIM = 'UPDATE "authenticators" SET "last_step" = ?, "last_used_at" = ? WHERE "id" = ? AND "last_step" < ?'
# Passing the challenge gives the session a new token: the password-only one stops working.
# The request that passes it is the session's latest: its "last seen" rides on the same write.
_SESSION_DONE = (
    'UPDATE "sessions" SET "state" = ?, "second_factor_at" = ?, "expires_at" = ?, "token_hash" = ?, '
    '"last_seen_at" = ? WHERE "id" = ?'
)
assert len(_OPEN) == _SETUP_TRY.count("?") - 3


async def set_user_failures(user_id: int, seen: int, failures: int, blocked_until: datetime | None) -> bool:
    """Set the user's failures in a row (and the wait they bring), if the count is still `seen`."""
    return bool(await raw_sql.execute(_USER_FAILURES, failures, blocked_until, user_id, seen))


async def end_user_failures(user_id: int, connection: BaseDBAsyncClient | None = None) -> None:
    """A right code: the user's failures in a row start again from zero."""
    await raw_sql.execute(_USER_SUCCEEDED, user_id, connection=connection)


async def take_session_try(session_id: int, seen: int) -> bool:
    """One more try of the session's sign-in challenge, if its count is still `seen`."""
    return bool(await raw_sql.execute(_SESSION_TRY, seen + 1, session_id, seen))


async def take_setup_try(setup_id: uuid.UUID, seen: int) -> bool:
    """One more try of an open set-up, if its count is still `seen`."""
    return bool(await raw_sql.execute(_SETUP_TRY, seen + 1, str(setup_id), seen, *_OPEN))


@dataclass(frozen=True)
class TriesTaken:
    """Which guarded updates of `take_tries_and_claim` won; `claimed` is None when no step was claimed."""

    session_try: bool
    user_failure: bool
    claimed: bool | None


async def take_tries_and_claim(
    *,
    session_id: int,
    session_seen: int,
    user_id: int,
    user_seen: int,
    blocked_until: datetime | None,
    claim: tuple[int, int] | None,
    moment: datetime,
) -> TriesTaken:
    """At once: one more try of the session's challenge (if its count is still `session_seen`),
    one more failure in a row of the user (if still `user_seen`; the wait until `blocked_until`),
    and the matched step claimed (`claim`: the APP authenticator's id and the step), each as
    `take_session_try`, `set_user_failures` and `claim_totp_step` would. One round trip on a
    sign-in, where a code check made three (measured by bench/run --against)."""
    # Rows in the order an administrator's reset locks them (user, authenticators, sessions),
    # never crosswise (tests/test_hardening.py::test_a_code_check_beside_a_reset_gets_a_clear_answer).
    writes: list[raw_sql.Statement] = [(_USER_FAILURES, (user_seen + 1, blocked_until, user_id, user_seen))]
    if claim is not None:
        authenticator_id, step = claim
        writes.append((_TOTP_CLAIM, (step, moment, authenticator_id, step)))
    writes.append((_SESSION_TRY, (session_seen + 1, session_id, session_seen)))
    changed = await raw_sql.execute_together(writes)
    return TriesTaken(bool(changed[-1]), bool(changed[0]), bool(changed[1]) if claim is not None else None)


async def claim_totp_step(authenticator_id: int, step: int, moment: datetime) -> bool:
    """Claim a matched time step of an APP authenticator; False when it (or a later one) was used."""
    return bool(await raw_sql.execute(_TOTP_CLAIM, step, moment, authenticator_id, step))


async def pass_challenge(
    *,
    session_id: int,
    user_id: int,
    device_id: int | None,
    token_hash: str,
    moment: datetime,
    expires_at: datetime,
    audit: AuditNote,
) -> bool:
    """A sign-in challenge passed, all at once: the session is done under a new token (seen at
    `moment`), the user's failures in a row end, and those of the device it came from (which
    from now on counts its own), and the audit row says so. Called once the code was claimed (a
    guarded update): a request that did not win its claim never gets here. False when the
    session was ended meanwhile (an administrator's reset): the device then proves nothing."""
    # The user's row first, as an administrator's reset locks it (see `take_tries_and_claim`).
    writes = [
        (_USER_SUCCEEDED, (user_id,)),
        (_SESSION_DONE, (str(SessionState.DONE), moment, expires_at, token_hash, moment, session_id)),
        audit_write(audit),
    ]
    if device_id is not None:
        writes.append(device_passed(device_id, moment, session_id))
    return bool((await raw_sql.execute_together(writes))[1])


async def live_email_challenge(session_id: int, authenticator_id: int, moment: datetime) -> EmailChallenge | None:
    """The session's unused, unexpired emailed code for that authenticator, if any."""
    challenge = await email_challenge_of(session_id, authenticator_id)
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= moment:
        return None
    return challenge


async def consume_email_challenge(challenge: EmailChallenge, moment: datetime) -> bool:
    """Use an emailed code whose digest matched, once: False when a parallel request used it,
    or a resend replaced it, since it was read."""
    consumed = await EmailChallenge.filter(
        id=challenge.id, used_at__isnull=True, code_digest=challenge.code_digest
    ).update(used_at=moment)
    if consumed:
        await Authenticator.filter(id=challenge.authenticator_id).update(last_used_at=moment)
    return bool(consumed)


async def claim_recovery_code(
    user_id: int, digests: list[str], moment: datetime, *, not_minted_by: int | None = None
) -> bool:
    """Use one of the user's unused recovery codes whose digest is among `digests` (and that was
    not shown to the session `not_minted_by`), once: of parallel requests only one wins."""
    unused = RecoveryCode.filter(user_id=user_id, used_at__isnull=True, code_digest__in=digests)
    if not_minted_by is not None:
        unused = unused.filter(Q(minted_by_session_id__isnull=True) | ~Q(minted_by_session_id=not_minted_by))
    row = await unused.first()
    if row is None:
        return False
    return bool(await RecoveryCode.filter(id=row.id, used_at__isnull=True).update(used_at=moment))


async def recovery_code_minted_by(user_id: int, digests: list[str], session_id: int) -> bool:
    """Whether one of the user's unused recovery codes with a digest among `digests` was shown to that session."""
    found = RecoveryCode.filter(user_id=user_id, used_at__isnull=True, code_digest__in=digests)
    return await found.filter(minted_by_session_id=session_id).exists()


async def recovery_codes_left(user_id: int) -> int:
    """How many of the user's recovery codes are unused."""
    return await RecoveryCode.filter(user_id=user_id, used_at__isnull=True).count()


async def read_user_failures(user_id: int) -> User:
    """The user's failures in a row and wait as they are now (after a lost compare-and-swap)."""
    return await User.get(id=user_id).only("id", "failed_verifications", "verification_blocked_until")


async def take_setup_try_again(setup_id: uuid.UUID, most: int) -> int | None:
    """One more try of an open set-up with fewer than `most` used, whatever the count (after a
    lost compare-and-swap); the tries used now, or None when none is left or it ended."""
    changed = await Setup.filter(id=setup_id, status__in=OPEN_SETUP_STATUSES, failed_attempts__lt=most).update(
        failed_attempts=F("failed_attempts") + 1
    )
    if not changed:
        return None
    return (await Setup.get(id=setup_id).only("id", "failed_attempts")).failed_attempts


async def setup_status(setup_id: uuid.UUID) -> SetupStatus | None:
    """Where the set-up stands now; None when it is gone."""
    row = await Setup.get_or_none(id=setup_id).only("id", "status")
    return SetupStatus(row.status) if row is not None else None


async def give_back_setup_try(setup_id: uuid.UUID) -> None:
    """Return a set-up's try taken by a request that then checked no code."""
    await Setup.filter(id=setup_id, failed_attempts__gt=0).update(failed_attempts=F("failed_attempts") - 1)


async def take_session_try_again(session_id: int, most: int) -> int | None:
    """One more try of the session's sign-in challenge with fewer than `most` used, whatever the
    count (after a lost compare-and-swap); the tries used now, or None when none is left."""
    changed = await Session.filter(id=session_id, failed_attempts__lt=most).update(
        failed_attempts=F("failed_attempts") + 1
    )
    if not changed:
        return None
    return (await Session.get(id=session_id).only("id", "failed_attempts")).failed_attempts


async def give_back_session_try(session_id: int) -> None:
    """Return a sign-in challenge's try taken by a request that then checked no code."""
    await Session.filter(id=session_id, failed_attempts__gt=0).update(failed_attempts=F("failed_attempts") - 1)


async def last_step(authenticator_id: int) -> int | None:
    """The last time step an APP authenticator accepted; None when it is gone."""
    row = await Authenticator.get_or_none(id=authenticator_id).only("id", "last_step")
    return row.last_step if row is not None else None


# The two guarded updates of `take_code_mail` per budget (the users' window-start and count
# columns): a window begun when there is none or it is over, and one more mail in the live one
# while the budget lasts.
_CODE_MAIL_TAKES = {
    ("send_window_start", "sends_in_window"): (
        'UPDATE "users" SET "send_window_start" = ?, "sends_in_window" = ? '
        'WHERE ("send_window_start" IS NULL OR "send_window_start" <= ?) AND "id" = ?',
        'UPDATE "users" SET "sends_in_window" = "sends_in_window" + 1 '
        'WHERE "id" = ? AND "send_window_start" > ? AND "send_window_start" <= ? AND "sends_in_window" < ?',
    ),
    ("sign_in_send_window_start", "sign_in_sends_in_window"): (
        'UPDATE "users" SET "sign_in_send_window_start" = ?, "sign_in_sends_in_window" = ? '
        'WHERE ("sign_in_send_window_start" IS NULL OR "sign_in_send_window_start" <= ?) AND "id" = ?',
        'UPDATE "users" SET "sign_in_sends_in_window" = "sign_in_sends_in_window" + 1 WHERE "id" = ? '
        'AND "sign_in_send_window_start" > ? AND "sign_in_send_window_start" <= ? AND "sign_in_sends_in_window" < ?',
    ),
}


@dataclass(frozen=True)
class BudgetSpent:
    """No code mail left in the user's hourly budget until `until`."""

    until: datetime


async def take_code_mail(
    user_id: int, *, window: str, count: str, per_hour: int, span: timedelta, tries: int
) -> datetime | BudgetSpent | None:
    """Take one code mail of a user's budget kept in the users' columns `window` (its start) and
    `count`: at most `per_hour` per `span`. When it was taken (to give it back), the wait when
    the budget is spent, or None when `tries` rounds found the window changing under them.

    Each take is one atomic update (a window begun, or one more mail in the live one while the
    budget lasts), so parallel takes are all counted; only a spent budget is read.
    """
    begin, add = _CODE_MAIL_TAKES[window, count]
    for _ in range(tries):
        moment = datetime.now(UTC)
        if await raw_sql.execute(begin, moment, 1, moment - span, user_id):
            return moment
        # A window begun by a parallel take whose clock read came later waits for the next round:
        # `moment` stays inside the window it counts in, for `give_back_code_mail`.
        if await raw_sql.execute(add, user_id, moment - span, moment, per_hour):
            return moment
        row = await User.filter(id=user_id).values(window, count)
        start: datetime | None = row[0][window]
        if start is not None and moment - start < span and row[0][count] >= per_hour:
            return BudgetSpent(start + span)
    return None


async def give_back_code_mail(user_id: int, *, window: str, count: str, taken_at: datetime, span: timedelta) -> None:
    """Return a mail `take_code_mail` took at `taken_at` for a send that then did not go (a parallel
    one won), to the window it was counted in (windows never overlap: one begins when the last is over)."""
    counted_in = {f"{window}__lte": taken_at, f"{window}__gt": taken_at - span, f"{count}__gt": 0}
    await User.filter(id=user_id, **counted_in).update(**{count: F(count) - 1})


async def send_email_challenge(
    *,
    session_id: int,
    authenticator_id: int,
    replacing: EmailChallenge | None,
    code_digest: str,
    moment: datetime,
    expires_at: datetime,
    code_mail: OutboxMessage,
    audit: AuditNote,
) -> bool:
    """Store a sign-in (or confirmation) code for the session and authenticator with its mail and
    audit row, in one transaction; a resend replaces the code `replacing` (one live code per
    session and authenticator). False when a parallel request sent its code first."""

    async def work(connection: BaseDBAsyncClient) -> bool:
        if replacing is None:
            await EmailChallenge.create(
                session_id=session_id,
                authenticator_id=authenticator_id,
                code_digest=code_digest,
                created_at=moment,
                expires_at=expires_at,
                using_db=connection,
            )
        elif not (
            await EmailChallenge.filter(id=replacing.id, created_at=replacing.created_at)
            .using_db(connection)
            .update(code_digest=code_digest, created_at=moment, expires_at=expires_at, used_at=None, failed_attempts=0)
        ):
            return False
        await queue_message(code_mail, connection)
        await write_audit(audit, connection)
        return True

    try:
        return await raw_sql.in_transaction_again_after_deadlock(work)
    except IntegrityError:
        return False  # the unique (session, authenticator): a parallel first send won


async def end_session_at_challenge(session_id: int) -> bool:
    """End a session (its challenge is over: locked, or outdated); whether this call did."""
    return bool(await Session.filter(id=session_id).delete())
