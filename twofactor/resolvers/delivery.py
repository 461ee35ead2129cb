"""What follows a mail's delivery, and set-ups whose time ran out: statuses and live events."""

from __future__ import annotations

from tortoise.expressions import F

from twofactor.models import OutboxMessage, OutboxStatus, Setup, SetupStatus
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.resolvers.common import user_channel
from twofactor.server.context import Services, now


async def delivery_result(services: Services, message: OutboxMessage) -> None:
    """A set-up's code mail was sent (CODE_SENT) or given up on (DELIVERY_FAILED)."""
    if message.setup_id is None:
        return
    if await OutboxMessage.filter(setup_id=message.setup_id, id__gt=message.id).exists():
        return  # a resend replaced this code: only the newest mail speaks for the set-up
    status = SetupStatus.CODE_SENT if message.status == OutboxStatus.SENT else SetupStatus.DELIVERY_FAILED
    # Only an open set-up moves, and only from a state this message can explain.
    changed = await Setup.filter(id=message.setup_id, status__in=(SetupStatus.PENDING, SetupStatus.CODE_SENT)).update(
        status=status, version=F("version") + 1
    )
    if changed and message.user_id is not None:
        await services.broker.publish(user_channel(message.user_id), {"type": "setup", "id": str(message.setup_id)})


async def expire_due_setups(services: Services) -> None:
    """Mark open set-ups past their time EXPIRED and tell their subscribers."""
    moment = now()
    due = await Setup.filter(status__in=OPEN_SETUP_STATUSES, expires_at__lte=moment).limit(100)
    for setup in due:
        if await Setup.filter(id=setup.id, status__in=OPEN_SETUP_STATUSES).update(
            status=SetupStatus.EXPIRED, code_digest=None, secret_encrypted=None, version=F("version") + 1
        ):
            await services.broker.publish(user_channel(setup.user_id), {"type": "setup", "id": str(setup.id)})
