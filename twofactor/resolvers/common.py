"""What every area's resolvers share: audit rows, events after commit, security mail."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

from twofactor.mail import messages
from twofactor.mail.outbox import OUTBOX_INSERT, outbox_message, outbox_row
from twofactor.models import AuditEvent, OutboxMessage, User, plain_sql
from twofactor.models.audit import AuditNote, first_refusal_of_wait
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

# The details column as Tortoise stores it (JSON text), so the model reads it back the same.
_AUDIT_DETAILS = AuditEvent._meta.fields_map["details"]


# The columns `audit_values` gives values for, in order.
AUDIT_COLUMNS = '"created_at", "action", "actor_id", "target_id", "ip", "user_agent", "details"'
AUDIT_INSERT = f'INSERT INTO "audit_events" ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)'  # noqa: S608 - constants only


def audit_values(
    context: RequestContext | None, action: str, *, target_id: int | None, actor_id: int | None = None, **details: Any
) -> tuple[Any, ...]:
    """The values of `AUDIT_INSERT` for one audit row. `details` must never hold a code, secret or token."""
    if actor_id is None and context is not None and context.user is not None:
        actor_id = context.user.id
    return (
        now(),
        action,
        actor_id,
        target_id,
        context.ip if context else None,
        (context.user_agent or "")[:300] if context else None,
        _AUDIT_DETAILS.to_db_value(details, AuditEvent),
    )


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
    connection: BaseDBAsyncClient | None = None,
    **details: Any,
) -> None:
    """Write one audit row. `details` must never hold a code, secret or token."""
    values = audit_values(context, action, target_id=target_id, actor_id=actor_id, **details)
    await plain_sql.execute(AUDIT_INSERT, *values, connection=connection)


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
    if context.services.outbox is not None:
        context.services.outbox.wake()


def notice_row(context: RequestContext, user: User, email: messages.Email, kind: str) -> tuple[Any, ...]:
    """The values of `OUTBOX_INSERT` for a security notice to the user."""
    return outbox_row(
        email, kind=kind, keyring=context.keyring, deliver_before=now() + NOTICE_DELIVERY_WINDOW, user_id=user.id
    )


def notice_message(context: RequestContext, user: User, email: messages.Email, kind: str) -> OutboxMessage:
    """A security notice to the user, for models/ to save in its transaction."""
    return outbox_message(
        email, kind=kind, keyring=context.keyring, deliver_before=now() + NOTICE_DELIVERY_WINDOW, user_id=user.id
    )


async def send_notice(
    context: RequestContext,
    user: User,
    email: messages.Email,
    kind: str,
    connection: BaseDBAsyncClient,
) -> None:
    """Queue a security notice to the user, in the caller's transaction."""
    await plain_sql.fetch(OUTBOX_INSERT, *notice_row(context, user, email, kind), connection=connection)


def seconds_until(moment: datetime) -> int:
    """Whole seconds from now until `moment`, at least 1."""
    return max(1, int((moment - now()).total_seconds() + 0.999))
