"""The administrators' 2FA policy: one row."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tortoise import fields
from tortoise.models import Model

POLICY_ID = 1
# Read by nearly every request: kept this long in each process. A change made here
# applies at once; other server processes see it within this time.
CACHE_SECONDS = 1.0

_cached: tuple[float, Policy] | None = None
# The read that will refresh `_cached`, shared by every request that finds it out of date:
# when the cache lapses under load, one read serves them all instead of one read each.
_reading: asyncio.Task[Policy] | None = None


class Policy(Model):
    """Mandatory or not, which methods, recovery codes on or off."""

    id = fields.IntField(primary_key=True)
    mandatory = fields.BooleanField(default=False)
    email_enabled = fields.BooleanField(default=True)
    app_enabled = fields.BooleanField(default=True)
    # Off on a new install: it needs the deployment's origins (TWOFACTOR_WEBAUTHN_ORIGINS) first.
    security_key_enabled = fields.BooleanField(default=False, db_default=False)
    recovery_codes_enabled = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "policy"

    @classmethod
    async def current(cls, *, fresh: bool = False) -> Policy:
        """The policy (created with defaults the first time); `fresh` skips the cache, to change it."""
        global _reading
        if fresh:
            return await cls._read()
        if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
        reading = _reading
        if reading is None or reading.get_loop() is not asyncio.get_running_loop():
            reading = _reading = asyncio.ensure_future(cls._read_and_keep())
            # Its failure reaches every request that waits; none may be left to see it.
            reading.add_done_callback(lambda task: task.cancelled() or task.exception())
        # Shielded: a request cancelled while it waits does not cancel the others' read.
        return await asyncio.shield(reading)

    @classmethod
    async def _read(cls) -> Policy:
        policy = await cls.get_or_none(id=POLICY_ID)
        if policy is None:
            policy, _ = await cls.get_or_create(id=POLICY_ID)
        return policy

    @classmethod
    async def _read_and_keep(cls) -> Policy:
        global _cached, _reading
        me = asyncio.current_task()
        try:
            policy = await cls._read()
            # Not kept if forgotten while it read (a change committed meanwhile): it may
            # predate the change. The requests that waited for it take it all the same.
            if _reading is me:
                _cached = (time.monotonic(), policy)
            return policy
        finally:
            if _reading is me:
                _reading = None

    @staticmethod
    def forget_cached() -> None:
        """Read the row again next time (after a change made around `save`, e.g. a bulk update)."""
        global _cached, _reading
        _cached = None
        _reading = None

    async def save(self, *args: Any, **kwargs: Any) -> None:
        await super().save(*args, **kwargs)
        self.forget_cached()


async def security_keys_enabled() -> bool:
    """Whether the policy, as stored now, enables security keys."""
    return (await Policy.current(fresh=True)).security_key_enabled
