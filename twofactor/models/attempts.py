"""The guarded updates every code check makes: a try of a sign-in challenge or a set-up, the
user's failures in a row, a TOTP time step claimed, a sign-in challenge passed.

They run on every sign-in (a hot path), so they are plain parameterized statements
(models/plain_sql.py), written once for both databases. Each changes its row only while it
is as the request read it (a claim: only forward), and its row count says whether this
request won, so parallel requests never get an extra try or use a code twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from twofactor.models import plain_sql
from twofactor.models.audit import AuditNote, write_audit
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.models.users import SessionState

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
_SESSION_DONE = (
    'UPDATE "sessions" SET "state" = ?, "second_factor_at" = ?, "expires_at" = ?, "token_hash" = ? WHERE "id" = ?'
)
assert len(_OPEN) == _SETUP_TRY.count("?") - 3


async def set_user_failures(user_id: int, seen: int, failures: int, blocked_until: datetime | None) -> bool:
    """Set the user's failures in a row (and the wait they bring), if the count is still `seen`."""
    return bool(await plain_sql.execute(_USER_FAILURES, failures, blocked_until, user_id, seen))


async def end_user_failures(user_id: int, connection: BaseDBAsyncClient | None = None) -> None:
    """A right code: the user's failures in a row start again from zero."""
    await plain_sql.execute(_USER_SUCCEEDED, user_id, connection=connection)


async def take_session_try(session_id: int, seen: int) -> bool:
    """One more try of the session's sign-in challenge, if its count is still `seen`."""
    return bool(await plain_sql.execute(_SESSION_TRY, seen + 1, session_id, seen))


async def take_setup_try(setup_id: uuid.UUID, seen: int) -> bool:
    """One more try of an open set-up, if its count is still `seen`."""
    return bool(await plain_sql.execute(_SETUP_TRY, seen + 1, str(setup_id), seen, *_OPEN))


async def claim_totp_step(authenticator_id: int, step: int, moment: datetime) -> bool:
    """Claim a matched time step of an APP authenticator; False when it (or a later one) was used."""
    return bool(await plain_sql.execute(_TOTP_CLAIM, step, moment, authenticator_id, step))


async def pass_challenge(
    *, session_id: int, user_id: int, token_hash: str, moment: datetime, expires_at: datetime, audit: AuditNote
) -> None:
    """A sign-in challenge passed: the session is done under a new token, the user's failures in
    a row end, and the audit row says so. Called once the code was claimed (a guarded update):
    a request that did not win its claim never gets here."""
    await plain_sql.execute(_SESSION_DONE, str(SessionState.DONE), moment, expires_at, token_hash, session_id)
    await end_user_failures(user_id)
    await write_audit(audit)
