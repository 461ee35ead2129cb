"""Time-based one-time passwords (RFC 6238) for authenticator apps."""

from __future__ import annotations

import base64
import secrets
import time
from urllib.parse import quote, urlencode

import pyotp

from twofactor.security.rules import (
    TOTP_ALGORITHM,
    TOTP_DIGITS,
    TOTP_DRIFT_STEPS,
    TOTP_PERIOD_SECONDS,
    TOTP_SECRET_BYTES,
)


def new_secret() -> str:
    """A new 160-bit secret in base32, without padding."""
    return base64.b32encode(secrets.token_bytes(TOTP_SECRET_BYTES)).decode("ascii").rstrip("=")


def setup_key(secret: str) -> str:
    """The secret in groups of four letters, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def otpauth_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI that authenticator apps scan (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": TOTP_ALGORITHM,
            "digits": TOTP_DIGITS,
            "period": TOTP_PERIOD_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def current_step(now: float | None = None) -> int:
    """The RFC 6238 time step of `now` (default: the server's clock)."""
    return int((time.time() if now is None else now) // TOTP_PERIOD_SECONDS)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code equals `code`, within the drift window, else None.

    Every step of the window is compared, in constant time, so timing tells
    nothing about which step matched. The caller must still claim the step
    (refuse it and any older one) to stop replays.
    """
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS)
    step_now = current_step(now)
    found: int | None = None
    for offset in range(-TOTP_DRIFT_STEPS, TOTP_DRIFT_STEPS + 1):
        step = step_now + offset
        if secrets.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def code_at(secret: str, step: int) -> str:
    """The code for one time step (tests and benchmarks use it)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS).generate_otp(step)
