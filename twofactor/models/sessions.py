"""A user's sessions as the account changes: moved to the challenge, ended, listed, seen."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from twofactor.models import raw_sql
from twofactor.models.users import Session, SessionState


async def challenge_unproved_sessions(
    user_id: int, keep_session_id: int, expires_at: datetime, connection: BaseDBAsyncClient | None
) -> list[int]:
    """Move the user's full sessions that never proved a second factor (but `keep_session_id`)
    back to the sign-in challenge, expiring at `expires_at`; their ids."""
    unproved = Q(user_id=user_id, state=SessionState.DONE, second_factor_at__isnull=True)
    ids = [row.id for row in await Session.filter(unproved).exclude(id=keep_session_id).using_db(connection).only("id")]
    if ids:
        await (
            Session.filter(unproved, id__in=ids)
            .using_db(connection)
            .update(state=SessionState.CHALLENGE, expires_at=expires_at, failed_attempts=0)
        )
    return ids


# Every sign-in stores one: a plain statement (models/raw_sql.py), as Tortoise would store the row.
_SESSION_INSERT = (
    'INSERT INTO "sessions" ("token_hash", "user_id", "state", "created_at", "expires_at", "failed_attempts", '
    '"ip", "user_agent", "device_id", "trusted_device") VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING "id"'
)


async def insert_session(session: Session) -> None:
    """Store a new session (a sign-in) built by the caller; sets its id."""
    ((session.id,),) = await raw_sql.fetch(
        _SESSION_INSERT,
        session.token_hash,
        session.user_id,
        str(session.state),
        session.created_at,
        session.expires_at,
        session.ip,
        session.user_agent,
        session.device_id,
        session.trusted_device,
    )
    session._saved_in_db = True


def other_setup_sessions(user_id: int, keep_session_id: int) -> QuerySet[Session]:
    """The user's set-up-only sessions but `keep_session_id` (they end once 2FA is set up)."""
    return Session.filter(user_id=user_id, state=SessionState.SETUP).exclude(id=keep_session_id)


async def end_other_sessions(
    user_id: int, keep_session_id: int | None, connection: BaseDBAsyncClient | None = None
) -> list[int]:
    """End every session of the user but `keep_session_id`; the ended ones' ids."""
    others = Session.filter(user_id=user_id)
    if keep_session_id is not None:
        others = others.exclude(id=keep_session_id)
    ids = [row.id for row in await others.using_db(connection).only("id")]
    if ids:
        await Session.filter(user_id=user_id, id__in=ids).using_db(connection).delete()
    return ids


async def end_session(user_id: int, session_id: int) -> bool:
    """End one of the user's sessions; False when the user has no such session."""
    return bool(await Session.filter(id=session_id, user_id=user_id).delete())


async def live_sessions(user_id: int, moment: datetime) -> list[Session]:
    """The user's sessions that have not expired at `moment`, most recently created first."""
    return await Session.filter(user_id=user_id, expires_at__gt=moment).order_by("-created_at", "-id")


# A session's "last seen", at most once per period: parallel requests make one write.
_SEEN = (
    'UPDATE "sessions" SET "last_seen_at" = ? WHERE "id" = ? '
    'AND ("last_seen_at" < ? OR ("last_seen_at" IS NULL AND "created_at" < ?))'
)


async def note_seen(session: Session, moment: datetime, every: timedelta) -> None:
    """Record that the session made a request at `moment`, at most once per `every`.

    The caller skips this while the session's last record is younger; the guard keeps
    parallel requests to one write. A plain statement: Tortoise resolved its OR filter
    through pypika on every request of a session seen a minute ago or more.
    """
    stale = moment - every
    await raw_sql.execute(_SEEN, moment, session.id, stale, stale)
    session.last_seen_at = moment


async def session_is_live(session_id: int, moment: datetime) -> bool:
    """Whether the session still exists and has not expired at `moment`."""
    return await Session.filter(id=session_id, expires_at__gt=moment).exists()


async def live_sessions_of(user_id: int, moment: datetime) -> frozenset[int]:
    """The ids of the user's sessions that exist and have not expired at `moment`."""
    ids = await Session.filter(user_id=user_id, expires_at__gt=moment).values_list("id", flat=True)
    return frozenset(int(str(session_id)) for session_id in ids)


async def mark_second_factor_fresh(session_id: int, moment: datetime) -> None:
    """The session proved a second factor at `moment`: changes that need a fresh one may follow."""
    await Session.filter(id=session_id).update(second_factor_at=moment)
