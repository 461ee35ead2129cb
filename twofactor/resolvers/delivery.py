"""What follows a mail's delivery, and set-ups whose time ran out: statuses and live events."""

from __future__ import annotations

from twofactor.models import OutboxMessage, OutboxStatus, SetupStatus, plain_sql
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.resolvers.common import user_channel
from twofactor.server.context import Services, now

# Runs for every code mail the worker settles, hence plain SQL (twofactor/models/plain_sql.py).
# Only an open set-up moves, only from a state this message can explain, and only if no
# newer mail (a resend) replaced this code: the newest mail alone speaks for the set-up.
_DELIVERED = (
    'UPDATE "setups" SET "status" = ?, "version" = "version" + 1 WHERE "id" = ? AND "status" IN (?, ?) '
    'AND NOT EXISTS (SELECT 1 FROM "outbox" WHERE "setup_id" = ? AND "id" > ?)'
)
# Runs at every pass of the outbox worker: usually it finds nothing.
_DUE_TO_EXPIRE = 'SELECT "id", "user_id" FROM "setups" WHERE "status" IN (?, ?, ?) AND "expires_at" <= ? LIMIT 100'
_EXPIRE = (
    'UPDATE "setups" SET "status" = ?, "code_digest" = NULL, "secret_encrypted" = NULL, "version" = "version" + 1 '
    'WHERE "id" = ? AND "status" IN (?, ?, ?)'
)
_WAITING_FOR_MAIL = (str(SetupStatus.PENDING), str(SetupStatus.CODE_SENT))
_OPEN = tuple(str(status) for status in OPEN_SETUP_STATUSES)


async def delivery_result(services: Services, message: OutboxMessage) -> None:
    """A set-up's code mail was sent (CODE_SENT) or given up on (DELIVERY_FAILED)."""
    if message.setup_id is None:
        return
    status = SetupStatus.CODE_SENT if message.status == OutboxStatus.SENT else SetupStatus.DELIVERY_FAILED
    setup_id = str(message.setup_id)
    changed = await plain_sql.execute(_DELIVERED, str(status), setup_id, *_WAITING_FOR_MAIL, setup_id, message.id)
    if changed and message.user_id is not None:
        await services.broker.publish(user_channel(message.user_id), {"type": "setup", "id": setup_id})


async def expire_due_setups(services: Services) -> None:
    """Mark open set-ups past their time EXPIRED and tell their subscribers."""
    due = await plain_sql.fetch(_DUE_TO_EXPIRE, *_OPEN, now())
    for setup_id, user_id in due:
        if await plain_sql.execute(_EXPIRE, str(SetupStatus.EXPIRED), str(setup_id), *_OPEN):
            await services.broker.publish(user_channel(user_id), {"type": "setup", "id": str(setup_id)})
