"""Authenticator names: what users may call their devices."""

from __future__ import annotations

import unicodedata

from twofactor.security.rules import NAME_MAX_LENGTH

# Bidi embedding, override and isolate controls can make a name read differently
# from what it is (e.g. U+202E reverses the text after it).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")

# Letters and symbols that draw nothing: the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the
# braille blank (U+2800), and default-ignorable marks (combining grapheme joiner, Khmer inherent
# vowels, Mongolian selectors, variation selectors). A name of only these would look empty.
_BLANK = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def _visible(char: str) -> bool:
    """Whether the character draws something on its own (a combining mark needs a base)."""
    return not char.isspace() and char not in _BLANK and unicodedata.category(char) not in {"Mn", "Me", "Cf", "Cc"}


def clean_name(raw: str) -> tuple[str | None, str | None]:
    """(the name to store, None) or (None, why it is refused).

    Trimmed, NFC-normalized, 1 to NAME_MAX_LENGTH characters, with no control,
    format (zero-width, bidi) or unassigned characters, and at least one visible one.
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
    if not any(map(_visible, name)):
        return None, "The name must contain a visible character."
    return name, None


def name_key(name: str) -> str:
    """The form two names are compared in: case-insensitive (full case folding)."""
    return unicodedata.normalize("NFC", name.casefold())
