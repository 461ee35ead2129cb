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
    ended: list[int] = []
    for states, keep in (((SessionState.DONE,), done), (PENDING_STATES, pending)):
        newest = Session.filter(user_id=user_id, state__in=states).order_by("-id")
        ids = await newest.offset(keep).limit(1000).values_list("id", flat=True)
        if ids:
            await Session.filter(id__in=list(ids)).delete()
            ended += [int(str(i)) for i in ids]
    return ended
