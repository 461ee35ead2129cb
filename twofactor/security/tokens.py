"""Session tokens: random, shown once, stored as a hash."""

import hashlib
import secrets

from twofactor.security.rules import SESSION_TOKEN_BYTES


def new_token() -> str:
    """A 256-bit URL-safe token."""
    return secrets.token_urlsafe(SESSION_TOKEN_BYTES)


def token_hash(token: str) -> str:
    """SHA-256 of a token: enough for 256-bit random values, and fast to look up."""
    return hashlib.sha256(token.encode()).hexdigest()
