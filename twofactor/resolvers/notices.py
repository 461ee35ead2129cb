"""What a change tells others: audit rows, live events after commit, notices by mail."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from twofactor.mail import messages
from twofactor.mail.outbox import outbox_message
from twofactor.models import OutboxMessage, User
from twofactor.models.audit import AuditNote, first_refusal_of_wait, write_audit
from twofactor.schema.errors import Refused
from twofactor.server.context import RequestContext, now

log = logging.getLogger("twofactor")

P = ParamSpec("P")
R = TypeVar("R")

# Security notices are worth delivering for longer than a code is valid.
NOTICE_DELIVERY_WINDOW = timedelta(hours=24)


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def session_channel(session_id: int) -> str:
    return f"session:{session_id}"


POLICY_CHANNEL = "policy"


def audit_note(
    context: RequestContext | None, action: str, *, target_id: int | None, actor_id: int | None = None, **details: Any
) -> AuditNote:
    """One audit row for models/ to write in its transaction. `details` must never hold a code, secret or token."""
    if actor_id is None and context is not None and context.user is not None:
        actor_id = context.user.id
    return AuditNote(
        action=action,
        actor_id=actor_id,
        target_id=target_id,
        ip=context.ip if context else None,
        user_agent=(context.user_agent or "")[:300] if context else None,
        details=details,
    )


async def audit(
    context: RequestContext | None,
    action: str,
    *,
    target_id: int | None,
    actor_id: int | None = None,
    **details: Any,
) -> None:
    """Write one audit row. `details` must never hold a code, secret or token."""
    await write_audit(audit_note(context, action, target_id=target_id, actor_id=actor_id, **details))


def audits_waits(
    resolver: Callable[Concatenate[RequestContext, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[RequestContext, P], Coroutine[Any, Any, R]]:
    """Audit a RATE_LIMITED refusal the resolver answers once per wait, not once per attempt."""

    @functools.wraps(resolver)
    async def resolve(context: RequestContext, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(context, *args, **kwargs)
        except Refused as refused:
            wait = refused.wait
            if wait is not None and await first_refusal_of_wait(wait.key, wait.until):
                await audit(
                    context,
                    wait.action,
                    target_id=wait.target_id,
                    retry_after_seconds=refused.error.retry_after_seconds,
                )
            raise

    return resolve


async def publish(context: RequestContext, channel: str, event: dict[str, object]) -> None:
    """Tell subscribers (call only after the change is committed)."""
    await context.services.broker.publish(channel, event)


async def user_changed(context: RequestContext, user_id: int) -> None:
    """The user's 2FA changed: wake their `myTwoFactorChanged` subscribers and the mail worker."""
    await publish(context, user_channel(user_id), {"type": "changed"})
    wake_mail(context)


def wake_mail(context: RequestContext) -> None:
    """Ask the outbox worker to look now rather than at its next poll."""
    context.services.wake_mail()


def notice_message(context: RequestContext, user: User, email: messages.Email, kind: str) -> OutboxMessage:
    """A security notice to the user, for models/ to save in its transaction."""
    return outbox_message(
        email, kind=kind, keyring=context.keyring, deliver_before=now() + NOTICE_DELIVERY_WINDOW, user_id=user.id
    )


def seconds_until(moment: datetime) -> int:
    """Whole seconds from now until `moment`, at least 1."""
    return max(1, int((moment - now()).total_seconds() + 0.999))
