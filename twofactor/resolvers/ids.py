"""Ids as clients send them: parsed, or None when they cannot name a row."""

from __future__ import annotations

import uuid


def parse_setup_id(raw: str) -> uuid.UUID | None:
    """A set-up id as sent by a client, or None when it cannot be one."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


# Integer ids are 32-bit in PostgreSQL: a larger one names no row (asking would be a database error).
MAX_INT_ID = 2**31 - 1


def parse_int_id(raw: str) -> int | None:
    """A numeric id as sent by a client, or None when it cannot name a row (no database error for junk)."""
    text = str(raw)
    value = int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None
    return value if value is not None and value <= MAX_INT_ID else None


def storable_text(text: str) -> bool:
    """Text that UTF-8 can encode (no lone surrogates), without NUL (PostgreSQL refuses it): what
    a stored value can be, so anything else names no row (and asking would be a database error)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
