"""Who may call what: sessions at each sign-in step, administrators."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from twofactor.models import Session, SessionState, User
from twofactor.schema.errors import forbidden, unauthenticated
from twofactor.server.context import RequestContext

FULL = frozenset({SessionState.DONE})
# A sign-in that owes a second factor may only answer the challenge.
CHALLENGE = frozenset({SessionState.CHALLENGE})
# A sign-in under mandatory 2FA with none set up may only set one up (or a full session).
SETTING_UP = frozenset({SessionState.SETUP, SessionState.DONE})


def context_of(info: Info[Any, Any]) -> RequestContext:
    context = info.context
    assert isinstance(context, RequestContext)
    return context


def require(context: RequestContext, states: frozenset[SessionState]) -> tuple[Session, User]:
    """The session and user, when the session is at one of `states`; else a GraphQL error."""
    session, user = context.session, context.user
    if session is None or user is None:
        raise unauthenticated()
    if session.state not in states:
        if session.state == SessionState.CHALLENGE:
            raise forbidden("Verify your second factor first.")
        if session.state == SessionState.SETUP:
            raise forbidden("Set up two-factor authentication first.")
        raise forbidden()
    return session, user


def require_admin(context: RequestContext) -> User:
    """The signed-in administrator; FORBIDDEN for anyone else."""
    _, user = require(context, FULL)
    if not user.is_admin:
        raise forbidden("Administrators only.")
    return user
