"""Sign-in throttles per account and per client address, kept in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model

from twofactor.models import raw_sql

# Compare-and-swap retries before a request under heavy contention gives up.
_CAS_TRIES = 25


class LoginThrottle(Model):
    """Wrong passwords in a row for one key ("account:<hmac>" or "address:<ip>"), since `window_start`."""

    key = fields.CharField(max_length=100, primary_key=True)
    window_start = fields.DatetimeField()
    failures = fields.IntField(default=0)
    # No password is checked for this key before then (a growing wait, never a lock).
    blocked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttles"


class LoginBusy(Exception):
    """Too many parallel attempts for one key: the caller answers 'try again'."""


# A failure that brings no wait, in one statement: a first one for the key, or one more in a
# live streak that is not waiting and stays below `free`. Anything else (a streak to start
# again, a wait to begin or to honour) changes nothing here and goes to the read and swap.
_FREE_FAILURE = (
    'INSERT INTO "login_throttles" ("key", "window_start", "failures", "blocked_until") VALUES (?, ?, 1, NULL) '
    'ON CONFLICT ("key") DO UPDATE SET "failures" = "login_throttles"."failures" + 1, "blocked_until" = NULL '
    'WHERE "login_throttles"."window_start" > ? AND "login_throttles"."failures" < ? '
    'AND ("login_throttles"."blocked_until" IS NULL OR "login_throttles"."blocked_until" <= ?)'
)


async def reserve_login_failure(
    key: str, moment: datetime, streak: timedelta, wait_after: Callable[[int], timedelta | None], *, free: int
) -> datetime | None:
    """Count a failure for `key` before a password is checked (forgiven on success).

    None when counted; the moment the key's wait ends when it must wait (nothing counted).
    A streak older than `streak` starts again. `wait_after` gives no wait below `free`
    failures in a row (and one from there on). Each change is an atomic update (below
    `free`) or a guarded update of the row as read, so parallel attempts are all counted
    (tests/test_throttles.py).
    """
    if free > 1 and await raw_sql.execute(_FREE_FAILURE, key, moment, moment - streak, free - 1, moment):
        return None
    for _ in range(_CAS_TRIES):
        row = await LoginThrottle.get_or_none(key=key)
        if row is None:
            try:
                await LoginThrottle.create(
                    key=key, window_start=moment, failures=1, blocked_until=_until(moment, 1, wait_after)
                )
                return None
            except IntegrityError:
                continue  # a parallel attempt made the row first
        if row.window_start <= moment - streak:
            changed = await LoginThrottle.filter(key=key, window_start=row.window_start, failures=row.failures).update(
                window_start=moment, failures=1, blocked_until=_until(moment, 1, wait_after)
            )
        elif row.blocked_until is not None and row.blocked_until > moment:
            return row.blocked_until
        else:
            failures = row.failures + 1
            changed = await LoginThrottle.filter(key=key, window_start=row.window_start, failures=row.failures).update(
                failures=failures, blocked_until=_until(moment, failures, wait_after)
            )
        if changed:
            return None
    raise LoginBusy


def _until(moment: datetime, failures: int, wait_after: Callable[[int], timedelta | None]) -> datetime | None:
    wait = wait_after(failures)
    return moment + wait if wait else None


async def forget_login_failures(key: str) -> None:
    """The right password for an account: its failures in a row start again from zero."""
    await LoginThrottle.filter(key=key).delete()


async def give_back_login_failure(key: str) -> None:
    """The right password from an address: the failure reserved for it is given back."""
    await LoginThrottle.filter(key=key, failures__gt=0).update(failures=F("failures") - 1)
