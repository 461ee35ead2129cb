"""One-time codes: email codes, recovery codes, and what a code may look like."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from twofactor.security.rules import (
    EMAIL_CODE_DIGITS,
    RECOVERY_CODE_COUNT,
    RECOVERY_CODE_LENGTH,
    TOTP_DIGITS,
)

# ASCII digits only: `\d` would also accept Arabic-Indic and other Unicode digits.
_SIX_DIGITS = re.compile(rf"[0-9]{{{TOTP_DIGITS}}}")
# Crockford-like alphabet: no 0/O, 1/I/L confusion when read off paper.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_RECOVERY_SHAPE = re.compile(rf"[{RECOVERY_ALPHABET}]{{{RECOVERY_CODE_LENGTH}}}")


def normalize_code(code: str) -> str | None:
    """A submitted one-time code as 6 ASCII digits, or None when it cannot be one.

    Spaces and dashes that apps show for readability are dropped; nothing else is.
    """
    candidate = code.replace(" ", "").replace("-", "")
    return candidate if _SIX_DIGITS.fullmatch(candidate) else None


def new_email_code() -> str:
    """Six random digits from `secrets`."""
    return f"{secrets.randbelow(10**EMAIL_CODE_DIGITS):0{EMAIL_CODE_DIGITS}d}"


def code_digest(key: bytes, purpose: str, code: str) -> str:
    """HMAC-SHA256 of a code under a server key; codes are stored only this way.

    `purpose` binds the digest to one set-up or challenge, so a code cannot be
    moved from one to another even if two happen to be equal.
    """
    return hmac.new(key, f"{purpose}\x00{code}".encode(), hashlib.sha256).hexdigest()


def digest_matches(expected: str, candidate: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(expected.encode(), candidate.encode())


def new_recovery_codes() -> list[str]:
    """Ten recovery codes, shown as XXXXX-XXXXX."""
    codes = []
    base = len(RECOVERY_ALPHABET)
    for _ in range(RECOVERY_CODE_COUNT):
        # One uniform draw per code, written in base 31: the same distribution as a
        # `secrets.choice` per character, with one call to the OS instead of ten.
        number = secrets.randbelow(base**RECOVERY_CODE_LENGTH)
        chars = []
        for _ in range(RECOVERY_CODE_LENGTH):
            number, digit = divmod(number, base)
            chars.append(RECOVERY_ALPHABET[digit])
        half = RECOVERY_CODE_LENGTH // 2
        codes.append(f"{''.join(chars[:half])}-{''.join(chars[half:])}")
    return codes


def normalize_recovery_code(code: str) -> str | None:
    """A submitted recovery code without separators, upper case, or None if malformed."""
    candidate = code.replace("-", "").replace(" ", "").upper()
    return candidate if _RECOVERY_SHAPE.fullmatch(candidate) else None
