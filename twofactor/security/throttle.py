"""How long a user waits after too many failures in a row."""

from __future__ import annotations

from datetime import timedelta

from twofactor.security.rules import USER_FAILURES_BEFORE_WAIT, USER_WAIT_FIRST, USER_WAIT_MAX


def wait_after(failures: int) -> timedelta | None:
    """The wait imposed after `failures` consecutive failures, or None below the threshold.

    The 10th failure costs USER_WAIT_FIRST, each further one doubles it, up to USER_WAIT_MAX.
    """
    if failures < USER_FAILURES_BEFORE_WAIT:
        return None
    doublings = min(failures - USER_FAILURES_BEFORE_WAIT, 20)
    return min(USER_WAIT_FIRST * (1 << doublings), USER_WAIT_MAX)
