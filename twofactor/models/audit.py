"""The audit log: one row per security event, never a secret in it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from twofactor.models import raw_sql


class AuditEvent(Model):
    """Who did what to whom, from where, when."""

    id = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    action = fields.CharField(max_length=64, db_index=True)
    actor_id = fields.IntField(null=True)
    target_id = fields.IntField(null=True, db_index=True)
    ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=300, null=True)
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_events"


class AuditedWait(Model):
    """The last wait of a key (e.g. "verify:user:7") whose refusals were audited, named by its end."""

    key = fields.CharField(max_length=120, primary_key=True)
    until = fields.DatetimeField()

    class Meta:
        table = "audited_waits"


async def first_refusal_of_wait(key: str, until: datetime) -> bool:
    """True once per wait (`key` ending at `until`): the one refusal of it that gets an audit row.

    Parallel refusals of one wait race on the row: the update or the insert lets one through.
    """
    if await AuditedWait.filter(key=key).exclude(until=until).update(until=until):
        return True
    try:
        await AuditedWait.create(key=key, until=until)
    except IntegrityError:
        return False  # this wait was audited already (or a parallel refusal just did it)
    return True


async def forget_waits_over(moment: datetime) -> int:
    """Delete the notes of waits that ended before `moment`; how many."""
    return await AuditedWait.filter(until__lt=moment).delete()


async def audit_events(*, target_id: int | None, before: int | None, limit: int) -> list[AuditEvent]:
    """Up to `limit` events, newest first: those with an id below `before` when given, about
    `target_id` when given."""
    query = AuditEvent.all()
    if target_id is not None:
        query = query.filter(target_id=target_id)
    if before is not None:
        query = query.filter(id__lt=before)
    return await query.order_by("-id").limit(limit)


async def purge_audit_events_before(moment: datetime) -> int:
    """Delete audit rows written before `moment` (the retention setting); how many."""
    return await AuditEvent.filter(created_at__lt=moment).delete()


@dataclass(frozen=True)
class AuditNote:
    """One audit row to write inside a models/ transaction. `details` never holds a code, secret or token."""

    action: str
    actor_id: int | None
    target_id: int | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any] = field(default_factory=dict)

    def adding(self, **details: Any) -> AuditNote:
        """The same row with more details (known only inside the transaction, e.g. a new row's id)."""
        return replace(self, details={**self.details, **details})


# Every request that changes something writes one (a sign-in, too): a plain statement, as
# Tortoise would store the row (models/raw_sql.py).
_AUDIT_INSERT = (
    'INSERT INTO "audit_events" ("created_at", "action", "actor_id", "target_id", "ip", "user_agent", "details") '
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_DETAILS = AuditEvent._meta.fields_map["details"]


def audit_write(note: AuditNote) -> raw_sql.Statement:
    """The statement that writes `note`'s row, to run with others (`raw_sql.execute_together`)."""
    details = _DETAILS.to_db_value(note.details, AuditEvent)
    moment = datetime.now(UTC)
    return _AUDIT_INSERT, (moment, note.action, note.actor_id, note.target_id, note.ip, note.user_agent, details)


async def write_audit(note: AuditNote, connection: BaseDBAsyncClient | None = None) -> None:
    """Write one audit row, in `connection`'s transaction when given."""
    sql, values = audit_write(note)
    await raw_sql.execute(sql, *values, connection=connection)
