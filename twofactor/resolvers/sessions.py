"""The user's sessions: every device signed in, and ending one or all the others."""

from __future__ import annotations

import strawberry

from twofactor.models import Session
from twofactor.models.sessions import end_other_sessions, end_session, live_sessions
from twofactor.resolvers.ids import parse_int_id
from twofactor.resolvers.notices import audit, publish, session_channel
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused
from twofactor.server.auth import FULL, require
from twofactor.server.context import RequestContext, now

# Checked in order: Edge and Opera also name Chrome and Safari, Chrome names Safari.
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
# iPhones say "like Mac OS X", Android and ChromeOS say Linux.
_SYSTEMS = (
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str:
    """A short readable name for the device a user agent describes, e.g. 'Firefox on Linux'."""
    if not user_agent or not user_agent.strip():
        return "Unknown device"
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system or ""
    # A program rather than a browser (curl/8.5, okhttp/4.12): its name.
    name = user_agent.strip().split("/")[0].split()[0][:40]
    return name or "Unknown device"


def _view(session: Session, current: Session) -> types.SignedInSession:
    return types.SignedInSession(
        id=strawberry.ID(str(session.id)),
        device=device_label(session.user_agent),
        ip=session.ip,
        created_at=session.created_at,
        last_seen_at=session.last_seen_at or session.created_at,
        current=session.id == current.id,
        next_step=types.Session.step_of(session),
    )


async def my_sessions(context: RequestContext) -> list[types.SignedInSession]:
    """`mySessions`: the user's live sessions, the newest first."""
    session, user = require(context, FULL)
    return [_view(row, session) for row in await live_sessions(user.id, now())]


async def _tell_ended(context: RequestContext, ended: list[int]) -> None:
    for session_id in ended:
        await publish(context, session_channel(session_id), {"type": "ended"})


async def end_one(context: RequestContext, session_id: str) -> types.EndSessionsPayload:
    """`endSession`: sign one of the user's other devices out."""
    session, user = require(context, FULL)
    parsed = parse_int_id(session_id)
    if parsed is not None and parsed == session.id:
        raise Refused(ErrorCode.INVALID_INPUT, "This is the session you are using: sign out instead.", field="id")
    if parsed is None or not await end_session(user.id, parsed):
        raise Refused(ErrorCode.NOT_FOUND, "There is no such session.", field="id")
    await audit(context, "session.ended_by_user", target_id=user.id, session_id=parsed)
    await _tell_ended(context, [parsed])
    return types.EndSessionsPayload(ended_ids=[strawberry.ID(str(parsed))])


async def end_others(context: RequestContext) -> types.EndSessionsPayload:
    """`endOtherSessions`: sign every other device out."""
    session, user = require(context, FULL)
    ended = await end_other_sessions(user.id, session.id)
    await audit(context, "session.ended_others", target_id=user.id, sessions_ended=len(ended))
    await _tell_ended(context, ended)
    return types.EndSessionsPayload(ended_ids=[strawberry.ID(str(i)) for i in ended])
