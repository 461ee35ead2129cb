"""The administrators' 2FA policy: one row."""

from __future__ import annotations

import time
from typing import Any

from tortoise import fields
from tortoise.models import Model

POLICY_ID = 1
# Read by nearly every request: kept this long in each process. A change made here
# applies at once; other server processes see it within this time.
CACHE_SECONDS = 1.0

_cached: tuple[float, Policy] | None = None


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
    async def current(cls, *, fresh: bool = False) -> Policy:
        """The policy (created with defaults the first time); `fresh` skips the cache, to change it."""
        global _cached
        if not fresh and _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
        policy = await cls.get_or_none(id=POLICY_ID)
        if policy is None:
            policy, _ = await cls.get_or_create(id=POLICY_ID)
        if not fresh:
            _cached = (time.monotonic(), policy)
        return policy

    @staticmethod
    def forget_cached() -> None:
        """Read the row again next time (after a change made around `save`, e.g. a bulk update)."""
        global _cached
        _cached = None

    async def save(self, *args: Any, **kwargs: Any) -> None:
        await super().save(*args, **kwargs)
        self.forget_cached()
