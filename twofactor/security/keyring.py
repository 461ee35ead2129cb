"""Secrets at rest: AES-GCM encryption and HMAC keys, derived from the configured secret keys.

The first key encrypts; every key (the current one and older ones kept for
rotation) can decrypt, so rotating `TWOFACTOR_SECRET_KEY` loses nothing.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from twofactor.security.rules import SECRET_KEY_MIN_BITS, SECRET_KEY_PATTERN_LENGTH

_NONCE_BYTES = 12
_FORMAT = "v1"


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key (fail closed)."""


def estimated_bits(secret_key: str) -> float:
    """The Shannon entropy of the key's characters times its length: an upper bound of its randomness."""
    length = len(secret_key)
    if length == 0:
        return 0.0
    per_character = -sum(n / length * math.log2(n / length) for n in Counter(secret_key).values())
    return per_character * length


def key_weakness(secret_key: str) -> str | None:
    """Why the key cannot be a production key's randomness (too few bits, a repeat, a run), or None."""
    if estimated_bits(secret_key) < SECRET_KEY_MIN_BITS:
        return f"fewer than {SECRET_KEY_MIN_BITS} bits by its characters' entropy: too few different ones"
    size = SECRET_KEY_PATTERN_LENGTH
    seen: set[str] = set()
    for start in range(len(secret_key) - size + 1):
        stretch = secret_key[start : start + size]
        if stretch in seen:
            return f"a stretch of {size} characters appears twice"
        seen.add(stretch)
        steps = {ord(b) - ord(a) for a, b in pairwise(stretch)}
        if len(steps) == 1 and steps <= {-1, 0, 1}:
            return f"{size} characters in a run, like 12345678 or zzzzzzzz"
    return None


def _derive(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"twofactor", info=purpose).derive(secret_key.encode())


class Keyring:
    """The encryption and HMAC keys of one deployment. Its repr shows no key."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is required")
        self._ciphers: dict[str, AESGCM] = {}
        self._order: list[str] = []
        self._digest_keys: list[bytes] = []
        for secret_key in secret_keys:
            key = _derive(secret_key, b"aes-gcm secrets at rest")
            key_id = hashlib.sha256(key).hexdigest()[:8]
            self._ciphers[key_id] = AESGCM(key)
            self._order.append(key_id)
            self._digest_keys.append(_derive(secret_key, b"hmac one-time codes"))

    def __repr__(self) -> str:
        return f"Keyring(keys={len(self._order)})"

    @property
    def digest_key(self) -> bytes:
        """The HMAC key new code digests are made with."""
        return self._digest_keys[0]

    @property
    def digest_keys(self) -> list[bytes]:
        """Every HMAC key a stored digest may have been made with, newest first."""
        return list(self._digest_keys)

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt with the current key; `context` (e.g. a row's purpose) is authenticated."""
        key_id = self._order[0]
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_FORMAT}:{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, context: str) -> str:
        """Decrypt a value made by `encrypt` with any configured key, or raise DecryptionError."""
        try:
            version, key_id, payload = token.split(":", 2)
            cipher = self._ciphers[key_id]
            raw = base64.b64decode(payload)
            if version != _FORMAT:
                raise ValueError(version)
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
        except (ValueError, KeyError, InvalidTag) as error:
            # `from None`: the cause could carry key material or ciphertext into a log.
            raise DecryptionError(
                f"stored secret cannot be decrypted with the configured keys ({type(error).__name__})"
            ) from None

    def needs_rotation(self, token: str) -> bool:
        """True when `token` was encrypted with an older key."""
        return not token.startswith(f"{_FORMAT}:{self._order[0]}:")
