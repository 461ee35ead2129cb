"""Per-user bounds on what a user keeps open: set-ups in progress and sessions."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from twofactor.models.two_factor import OPEN_SETUP_STATUSES, Setup
from twofactor.models.users import Session, SessionState

PENDING_STATES = (SessionState.CHALLENGE, SessionState.SETUP)


async def open_setups(user_id: int, moment: datetime, connection: BaseDBAsyncClient | None = None) -> list[Setup]:
    """The user's set-ups still in progress at `moment` (not ended, not past their time), oldest first."""
    query = Setup.filter(user_id=user_id, status__in=OPEN_SETUP_STATUSES, expires_at__gt=moment)
    if connection is not None:
        query = query.using_db(connection)
    return await query.order_by("expires_at").only("id", "expires_at")


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
