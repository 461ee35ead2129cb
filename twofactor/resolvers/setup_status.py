"""Set-up statuses that change outside a request: code mail sent or given up on, time run out."""

from __future__ import annotations

from twofactor.models import OutboxMessage, OutboxStatus
from twofactor.models.setups import expire_setup, note_code_mail_settled, setups_due_to_expire
from twofactor.resolvers.notices import user_channel
from twofactor.server.context import Services, now


async def delivery_result(services: Services, message: OutboxMessage) -> None:
    """A set-up's code mail was sent (CODE_SENT) or given up on (DELIVERY_FAILED)."""
    if message.setup_id is None:
        return
    changed = await note_code_mail_settled(message.setup_id, message.id, message.status == OutboxStatus.SENT)
    if changed and message.user_id is not None:
        await services.broker.publish(user_channel(message.user_id), {"type": "setup", "id": str(message.setup_id)})


async def expire_due_setups(services: Services) -> None:
    """Mark open set-ups past their time EXPIRED and tell their subscribers."""
    for setup_id, user_id in await setups_due_to_expire(now()):
        if await expire_setup(setup_id):
            await services.broker.publish(user_channel(user_id), {"type": "setup", "id": setup_id})
