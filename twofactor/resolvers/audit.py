"""Reading the audit log: administrators all of it, users their own account's events."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from twofactor.models import AuditEvent
from twofactor.models.audit import audit_events
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused, bad_request, forbidden
from twofactor.server.auth import FULL, require
from twofactor.server.context import RequestContext

MAX_PAGE = 100
# Event ids are 32-bit in PostgreSQL; a larger cursor would be a database error, not a page.
MAX_CURSOR = 2**31 - 1


def _cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 12) or int(raw) > MAX_CURSOR:
        raise Refused(ErrorCode.INVALID_INPUT, "Unknown cursor.", field="after")
    return int(raw)


async def audit_page(
    context: RequestContext, *, user_id: int | None, first: int, after: str | None, viewer_id: int | None = None
) -> types.AuditEventPage:
    """Up to `first` events older than the cursor `after`, newest first; one user's when given.

    `viewer_id`: a user reading their own events. The address and device of an event done by
    someone else (an administrator) are then left out: they are that person's, not the user's.
    """
    if not 1 <= first <= MAX_PAGE:
        raise Refused(ErrorCode.INVALID_INPUT, f"Ask for 1 to {MAX_PAGE} events.", field="first")
    rows = await audit_events(target_id=user_id, before=_cursor(after), limit=first + 1)
    page = rows[:first]
    return types.AuditEventPage(
        events=[
            types.AuditEvent(
                id=strawberry.ID(str(r.id)),
                action=r.action,
                created_at=r.created_at,
                actor_id=strawberry.ID(str(r.actor_id)) if r.actor_id is not None else None,
                target_id=strawberry.ID(str(r.target_id)) if r.target_id is not None else None,
                ip=r.ip if _shown_to(viewer_id, r) else None,
                user_agent=r.user_agent if _shown_to(viewer_id, r) else None,
                details=cast(JSON, r.details),
            )
            for r in page
        ],
        next_cursor=str(page[-1].id) if len(rows) > first else None,
    )


def _shown_to(viewer_id: int | None, row: AuditEvent) -> bool:
    """Whether the viewer may see the event's address and device: administrators always, a user
    for what they did and for what was tried in their name without an actor (failed sign-ins)."""
    return viewer_id is None or row.actor_id is None or row.actor_id == viewer_id


async def own_audit_page(
    context: RequestContext, *, user_id: int, first: int, after: str | None
) -> types.AuditEventPage:
    """`myTwoFactor.auditEvents`: a full session's own account only (it shows IPs and devices)."""
    _, user = require(context, FULL)
    if user.id != user_id:
        raise forbidden()
    try:
        return await audit_page(context, user_id=user_id, first=first, after=after, viewer_id=user.id)
    except Refused as refusal:
        raise bad_request(refusal.error.message) from None
