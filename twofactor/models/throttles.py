"""Sign-in throttles per account and per client address, kept in the database."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class LoginThrottle(Model):
    """Failed passwords for one key ("account:<hash>" or "address:<ip>") in a window."""

    key = fields.CharField(max_length=100, primary_key=True)
    window_start = fields.DatetimeField()
    failures = fields.IntField(default=0)

    class Meta:
        table = "login_throttles"
