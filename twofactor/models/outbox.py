"""The mail outbox: written with the code it carries, sent by the worker."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboxMessage(Model):
    """One message to send. Its body is encrypted: it may carry a code."""

    id = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    kind = fields.CharField(max_length=32)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=200)
    body_encrypted = fields.TextField()
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    # After this the message is useless (its code expired): give up.
    deliver_before = fields.DatetimeField()
    # A worker owns the message until this time; another may take it over after.
    claimed_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=64, null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=300, null=True)
    setup_id = fields.UUIDField(null=True)
    user_id = fields.IntField(null=True)

    class Meta:
        table = "outbox"
        # The worker's claim (pending and due; sent rows stay) and a set-up's newest mail.
        indexes = (("status", "next_attempt_at"), ("setup_id",))

    def __repr__(self) -> str:
        return f"OutboxMessage(id={self.id}, kind={self.kind}, status={self.status})"


async def release_claim(message_id: int, worker_id: str) -> bool:
    """Give back a pending message this worker claimed but will not send (it is stopping), so
    another worker need not wait for the lease to end; whether the claim was still this worker's."""
    released = await OutboxMessage.filter(id=message_id, status=OutboxStatus.PENDING, claimed_by=worker_id).update(
        claimed_until=None, claimed_by=None
    )
    return released == 1
