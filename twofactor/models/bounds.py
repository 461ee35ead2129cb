"""Per-user bounds on what a user keeps open: set-ups in progress and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from twofactor.models import raw_sql
from twofactor.models.request_reads import as_datetime
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.models.users import Session, SessionState

PENDING_STATES = (SessionState.CHALLENGE, SessionState.SETUP)

_OPEN = tuple(str(status) for status in OPEN_SETUP_STATUSES)
# Read twice per set-up started (before, and in its transaction): a plain statement.
_OPEN_SETUPS = (
    'SELECT "id", "expires_at" FROM "setups" WHERE "user_id" = ? AND "status" IN (?, ?, ?) AND "expires_at" > ? '
    'ORDER BY "expires_at"'
)
assert len(_OPEN) == 3


@dataclass(frozen=True)
class OpenSetup:
    """A set-up in progress, as the per-user bound counts it."""

    id: UUID
    expires_at: datetime


async def open_setups(user_id: int, moment: datetime, connection: BaseDBAsyncClient | None = None) -> list[OpenSetup]:
    """The user's set-ups still in progress at `moment` (not ended, not past their time), oldest first."""
    rows = await raw_sql.fetch(_OPEN_SETUPS, user_id, *_OPEN, moment, connection=connection)
    return [OpenSetup(UUID(str(setup_id)), as_datetime(expires_at)) for setup_id, expires_at in rows]


async def end_sessions_beyond(user_id: int, *, done: int, pending: int) -> list[int]:
    """End the user's oldest sessions beyond the `done` newest signed-in ones and the `pending`
    newest sign-ins in progress; the ids of those ended (their subscriptions must end too).

    Parallel sign-ins may each end the same rows: the delete of an ended row changes nothing.
    """
    # One read of the user's sessions (the caps' worth and this sign-in's), newest first; every
    # state that is not DONE is one of PENDING_STATES.
    rows = await Session.filter(user_id=user_id).order_by("-id").values_list("id", "state")
    newer = {True: 0, False: 0}
    ended: list[int] = []
    for session_id, state in rows:
        full = state == SessionState.DONE
        newer[full] += 1
        if newer[full] > (done if full else pending):
            ended.append(int(session_id))
    if ended:
        await Session.filter(id__in=ended).delete()
    return ended
