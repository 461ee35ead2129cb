"""How long a guesser waits after too many failures in a row."""

from __future__ import annotations

from datetime import timedelta

from twofactor.security.rules import (
    LOGIN_FAILURES_BEFORE_WAIT,
    LOGIN_STREAK_LIFETIME,
    LOGIN_WAIT_FIRST,
    LOGIN_WAIT_MAX,
    USER_FAILURES_BEFORE_WAIT,
    USER_WAIT_FIRST,
    USER_WAIT_MAX,
)


def growing_wait(failures: int, free: int, first: timedelta, most: timedelta) -> timedelta | None:
    """The wait after `failures` in a row: None for the first `free - 1`, then `first` doubled
    at each further failure, at most `most`."""
    if failures < free:
        return None
    doublings = min(failures - free, 20)
    return min(first * (1 << doublings), most)


def wait_after(failures: int) -> timedelta | None:
    """The wait imposed on a user after `failures` consecutive wrong codes, or None below the threshold.

    The 10th failure costs USER_WAIT_FIRST, each further one doubles it, up to USER_WAIT_MAX.
    """
    return growing_wait(failures, USER_FAILURES_BEFORE_WAIT, USER_WAIT_FIRST, USER_WAIT_MAX)


def login_wait_after(failures: int, free: int = LOGIN_FAILURES_BEFORE_WAIT) -> timedelta | None:
    """The wait after `failures` wrong passwords in a row for one account (an address: its own `free`)."""
    return growing_wait(failures, free, LOGIN_WAIT_FIRST, LOGIN_WAIT_MAX)


def login_guesses_per_day() -> int:
    """How many passwords a guesser without a device token can try for one account in a day
    (a streak lasts LOGIN_STREAK_LIFETIME): the README's figure."""
    spent, guesses = timedelta(0), 0
    while True:
        wait = login_wait_after(guesses + 1) or timedelta(0)
        guesses += 1
        if spent + wait >= LOGIN_STREAK_LIFETIME:
            return guesses
        spent += wait
