"""The scheduled clean-up inside the server: rows past their use are deleted.

Every server process runs it; each delete is of rows past a moment, so several processes
running it at once delete each row once and harm nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from twofactor.models import audit, retention
from twofactor.security.rules import (
    LOGIN_STREAK_LIFETIME,
    OUTBOX_KEPT,
    PURGE_INTERVAL,
    SETUP_KEPT_AFTER_END,
    USED_RECOVERY_CODE_KEPT,
)

log = logging.getLogger("twofactor.housekeeping")


async def purge_once(audit_retention: timedelta | None) -> dict[str, int]:
    """Delete what is past its use (and audit rows past `audit_retention`, if set); counts by kind."""
    moment = datetime.now(UTC)
    purged = {
        "sessions": await retention.purge_expired_sessions(moment),
        "setups": await retention.purge_setups_expired_before(moment - SETUP_KEPT_AFTER_END),
        "email_challenges": await retention.purge_spent_email_challenges(moment),
        "outbox": await retention.purge_settled_mail_before(moment - OUTBOX_KEPT),
        "recovery_codes": await retention.purge_recovery_codes_used_before(moment - USED_RECOVERY_CODE_KEPT),
        "login_throttles": await retention.purge_login_throttles_over(moment - LOGIN_STREAK_LIFETIME),
        "audited_waits": await audit.forget_waits_over(moment),
    }
    if audit_retention is not None:
        purged["audit_events"] = await audit.purge_audit_events_before(moment - audit_retention)
    return purged


class Housekeeper:
    """Runs `purge_once` every `interval` seconds in the background, from `start()` until `stop()`."""

    def __init__(self, audit_retention: timedelta | None, interval: float = PURGE_INTERVAL.total_seconds()) -> None:
        self.audit_retention = audit_retention
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Clean-ups run so far, whether or not they found anything.
        self.rounds = 0

    def start(self) -> None:
        """Run in the background until `stop()`; the first clean-up runs at once."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="twofactor-housekeeping")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Clean up now rather than at the end of the current interval."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop and wait for it."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])

    async def _loop(self) -> None:
        while True:
            try:
                purged = await purge_once(self.audit_retention)
            except Exception:
                # The database may be briefly unreachable: the next round tries again.
                log.exception("housekeeping: the clean-up failed; trying again later")
            else:
                self.rounds += 1
                if any(purged.values()):
                    log.info("housekeeping: deleted %s", ", ".join(f"{n} {k}" for k, n in purged.items() if n))
            try:
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
