"""The audit log: one row per security event, never a secret in it."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


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
