"""Known devices: browsers and apps that signed in to an account before (OWASP "device cookies").

A device keeps allowances of its own, so a stranger's failures cannot lock its owner out.
Only the token's SHA-256 is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from twofactor.models import raw_sql
from twofactor.models.users import User


class KnownDevice(Model):
    """A device token of one user, with its own counters."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "twofactor.User", related_name="devices", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField()
    # Wrong passwords in a row from this device; at the limit the token is no longer trusted.
    login_failures = fields.IntField(default=0)
    # When a sign-in from this device last passed a second factor: from then on its sessions
    # count wrong codes here, not on the user's shared count.
    second_factor_at = fields.DatetimeField(null=True)
    code_failures = fields.IntField(default=0)
    code_blocked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "known_devices"
        indexes = (("user_id", "last_used_at"),)

    def __repr__(self) -> str:
        return f"KnownDevice(id={self.id}, user_id={self.user_id})"


async def known_device(user_id: int, token_hash: str, moment: datetime, lifetime: timedelta) -> KnownDevice | None:
    """The user's device with this token hash, unless it was unused for `lifetime`."""
    return await KnownDevice.get_or_none(user_id=user_id, token_hash=token_hash, last_used_at__gt=moment - lifetime)


async def reserve_device_login_failure(device: KnownDevice, limit: int) -> bool:
    """Count a wrong password for the device before checking it; False once it reached `limit`."""
    return bool(
        await KnownDevice.filter(id=device.id, login_failures__lt=limit).update(login_failures=F("login_failures") + 1)
    )


async def device_signed_in(device: KnownDevice, moment: datetime) -> None:
    """The right password from the device: its failures end, and it was used now."""
    await KnownDevice.filter(id=device.id).update(login_failures=0, last_used_at=moment)


async def remember_device(
    user_id: int, token_hash: str, moment: datetime, *, keep: int, keep_proven: int, lifetime: timedelta
) -> KnownDevice:
    """A new device token for the user. Devices unused for `lifetime` are forgotten, and so are
    those beyond the `keep` most recently used of the ones that never passed a second factor,
    and beyond the `keep_proven` of the others: someone with only the password cannot push
    the owner's devices out by signing in often."""
    device = await KnownDevice.create(user_id=user_id, token_hash=token_hash, created_at=moment, last_used_at=moment)
    unproven = _beyond(KnownDevice.filter(user_id=user_id, second_factor_at__isnull=True), keep)
    proven = _beyond(KnownDevice.filter(user_id=user_id, second_factor_at__isnull=False), keep_proven)
    stale = Q(last_used_at__lte=moment - lifetime) | Q(id__in=unproven) | Q(id__in=proven)
    await KnownDevice.filter(stale, user_id=user_id).delete()
    return device


def _beyond(devices: QuerySet[KnownDevice], keep: int) -> Subquery:
    """The ids of `devices` past the `keep` most recently used."""
    return Subquery(devices.order_by("-last_used_at", "-id").offset(keep).values("id"))


async def distrust_devices(user_id: int, connection: BaseDBAsyncClient) -> None:
    """An administrator's reset: the factors the user's devices passed are gone (one may have been
    an intruder's), so none counts its own wrong codes until it passes a new one. They stay known,
    with their own allowance of wrong passwords."""
    await KnownDevice.filter(user_id=user_id).using_db(connection).update(second_factor_at=None)


# A plain statement: a passed sign-in challenge writes it together with its other writes. Nothing
# once the session is gone: a reset ended it after its factor was checked, and the device proved
# nothing that outlives the reset.
_PASSED = (
    'UPDATE "known_devices" SET "second_factor_at" = ?, "code_failures" = 0, "code_blocked_until" = NULL '
    'WHERE "id" = ? AND EXISTS (SELECT 1 FROM "sessions" WHERE "id" = ?)'
)


def device_passed(device_id: int, moment: datetime, session_id: int) -> raw_sql.Statement:
    """The write of `device_passed_second_factor`, to run with others (`raw_sql.execute_together`)."""
    return _PASSED, (moment, device_id, session_id)


async def device_passed_second_factor(device_id: int, moment: datetime, session_id: int) -> None:
    """A sign-in of `session_id` from the device passed a second factor: its wrong codes start
    again from zero, unless the session was ended meanwhile."""
    sql, values = device_passed(device_id, moment, session_id)
    await raw_sql.execute(sql, *values)


class DeviceWaits(Exception):
    """The device must wait before its next code check (until `until`)."""

    def __init__(self, until: datetime) -> None:
        super().__init__("device waits")
        self.until = until


async def reserve_device_code_failure(
    device_id: int, moment: datetime, wait_after: Callable[[int], timedelta | None], tries: int = 25
) -> tuple[int, datetime | None] | None:
    """Count a wrong code for the device before a code is checked (forgiven on success).

    The count and wait as they were (to give the try back); None when the device is gone.
    Raises DeviceWaits while it must wait. Guarded updates of the row as read.
    """
    for _ in range(tries):
        row = await KnownDevice.get_or_none(id=device_id).only("id", "code_failures", "code_blocked_until")
        if row is None:
            return None
        if row.code_blocked_until is not None and row.code_blocked_until > moment:
            raise DeviceWaits(row.code_blocked_until)
        failures = row.code_failures + 1
        wait = wait_after(failures)
        if await KnownDevice.filter(id=device_id, code_failures=row.code_failures).update(
            code_failures=failures, code_blocked_until=moment + wait if wait else None
        ):
            return row.code_failures, row.code_blocked_until
    raise DeviceWaits(moment + timedelta(seconds=1))


async def give_back_device_code_failure(device_id: int, before: tuple[int, datetime | None]) -> None:
    """Undo a failure `reserve_device_code_failure` counted, unless the count moved on since."""
    failures, blocked = before
    await KnownDevice.filter(id=device_id, code_failures=failures + 1).update(
        code_failures=failures, code_blocked_until=blocked
    )
