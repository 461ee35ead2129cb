"""The administrators' 2FA policy: one row."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

POLICY_ID = 1


class Policy(Model):
    """Mandatory or not, which methods, recovery codes on or off."""

    id = fields.IntField(primary_key=True)
    mandatory = fields.BooleanField(default=False)
    email_enabled = fields.BooleanField(default=True)
    app_enabled = fields.BooleanField(default=True)
    recovery_codes_enabled = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "policy"

    @classmethod
    async def current(cls) -> Policy:
        """The policy row, created with defaults the first time it is read."""
        policy, _ = await cls.get_or_create(id=POLICY_ID)
        return policy
