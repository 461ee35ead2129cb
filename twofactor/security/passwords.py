"""Password hashing: argon2id with explicit parameters, off the event loop."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from twofactor.security.rules import (
    ARGON2_MEMORY_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME_COST,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)

HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)

# argon2 releases the GIL, so one thread per core uses the machine fully; more
# threads only add memory (19 MiB each) and queueing.
_POOL = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="argon2")

# Verified when an email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY_HASH = HASHER.hash("twofactor-timing-equalizer")


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"The password must have at least {PASSWORD_MIN_LENGTH} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"The password must have at most {PASSWORD_MAX_LENGTH} characters."
    return None


def hash_password_sync(password: str) -> str:
    """argon2id hash of a password (blocking: for the command line)."""
    return HASHER.hash(password)


async def hash_password(password: str) -> str:
    """argon2id hash of a password, computed in the bounded thread pool."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, HASHER.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; a None hash takes the same time and fails."""
    if len(password) > PASSWORD_MAX_LENGTH:
        return False
    return await asyncio.get_running_loop().run_in_executor(_POOL, _verify, stored, password)
