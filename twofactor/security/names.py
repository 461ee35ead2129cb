"""Authenticator names: what users may call their devices."""

from __future__ import annotations

import unicodedata

from twofactor.security.rules import NAME_MAX_LENGTH

# Bidi embedding, override and isolate controls can make a name read differently
# from what it is (e.g. U+202E reverses the text after it).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def clean_name(raw: str) -> tuple[str | None, str | None]:
    """(the name to store, None) or (None, why it is refused).

    Trimmed, NFC-normalized, 1 to NAME_MAX_LENGTH characters, with no control,
    format (zero-width, bidi) or unassigned characters.
    """
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        return None, "The name must not be empty."
    if len(name) > NAME_MAX_LENGTH:
        return None, f"The name must have at most {NAME_MAX_LENGTH} characters."
    for char in name:
        category = unicodedata.category(char)
        if char in _BIDI_CONTROLS or category in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            return None, "The name contains a character that is not allowed."
        if category in {"Zl", "Zp"}:
            return None, "The name must be on one line."
    return name, None


def name_key(name: str) -> str:
    """The form two names are compared in: case-insensitive (full case folding)."""
    return unicodedata.normalize("NFC", name.casefold())
