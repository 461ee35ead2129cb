"""How long rows are kept: the deletes of the server's scheduled clean-up.

Each is a plain delete of rows past a moment, so running it twice, or in several server
processes at once, deletes each row once and harms nothing.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from twofactor.models.outbox import OutboxMessage, OutboxStatus
from twofactor.models.throttles import LoginThrottle
from twofactor.models.two_factor import EmailChallenge, RecoveryCode, Setup
from twofactor.models.users import Session


async def purge_expired_sessions(moment: datetime) -> int:
    """Delete sessions that expired before `moment` (with their email challenges); how many."""
    return await Session.filter(expires_at__lt=moment).delete()


async def purge_setups_expired_before(moment: datetime) -> int:
    """Delete set-ups whose time ran out before `moment`, however they ended; how many.

    Pass a moment well before now: a set-up that just ended is still read by its subscribers.
    """
    return await Setup.filter(expires_at__lt=moment).delete()


async def purge_spent_email_challenges(moment: datetime) -> int:
    """Delete email codes that were used, or expired before `moment`; how many."""
    return await EmailChallenge.filter(Q(used_at__isnull=False) | Q(expires_at__lt=moment)).delete()


async def purge_settled_mail_before(moment: datetime) -> int:
    """Delete outbox messages sent or given up on, written before `moment`; how many."""
    return await OutboxMessage.filter(
        status__in=(OutboxStatus.SENT, OutboxStatus.FAILED), created_at__lt=moment
    ).delete()


async def purge_recovery_codes_used_before(moment: datetime) -> int:
    """Delete recovery codes used before `moment` (unused ones stay, whatever their age); how many."""
    return await RecoveryCode.filter(used_at__lt=moment).delete()


async def purge_login_throttles_over(window_start_before: datetime) -> int:
    """Delete sign-in throttles whose streak started before the given moment (so is over); how many."""
    return await LoginThrottle.filter(window_start__lt=window_start_before).delete()
