"""A software security key for the tests: an ES256 key pair that answers WebAuthn options as a
browser and an authenticator would (attestation "none"), built on `cryptography` and `cbor2`."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"

_UP, _UV, _BE, _BS, _AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftKey:
    """One credential of a software authenticator; `sign_count` goes up with each assertion."""

    aaguid: bytes = bytes(16)
    backup_eligible: bool = False
    backed_up: bool = False
    sign_count: int = 0
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def _flags(self, attested: bool) -> int:
        flags = _UP | _UV
        if self.backup_eligible:
            flags |= _BE
        if self.backed_up:
            flags |= _BS
        return flags | (_AT if attested else 0)

    def _cose_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        challenge: str | None = None,
        top_origin: str | None = None,
    ) -> dict[str, Any]:
        """PublicKeyCredential.toJSON() of navigator.credentials.create(options); `top_origin`: the
        site whose page framed the ceremony (a cross-origin iframe)."""
        client_data = _client_data("webauthn.create", challenge or options["challenge"], origin, top_origin)
        attested = self.aaguid + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = _rp_hash(rp_id or options["rp"]["id"]) + bytes([self._flags(True)])
        auth_data += struct.pack(">I", self.sign_count) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["usb", "nfc"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        sign_count: int | None = None,
        challenge: str | None = None,
        top_origin: str | None = None,
    ) -> dict[str, Any]:
        """PublicKeyCredential.toJSON() of navigator.credentials.get(options): the counter goes up
        by one, unless `sign_count` says what to report; `top_origin` as for `create`."""
        if sign_count is None:
            self.sign_count += 1
            sign_count = self.sign_count
        client_data = _client_data("webauthn.get", challenge or options["challenge"], origin, top_origin)
        auth_data = _rp_hash(rp_id or options["rpId"]) + bytes([self._flags(False)]) + struct.pack(">I", sign_count)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }


def _client_data(kind: str, challenge: str, origin: str, top_origin: str | None) -> bytes:
    data: dict[str, Any] = {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
    if top_origin is not None:
        data.update(crossOrigin=True, topOrigin=top_origin)
    return json.dumps(data).encode()


def _rp_hash(rp_id: str) -> bytes:
    return hashlib.sha256(rp_id.encode()).digest()
