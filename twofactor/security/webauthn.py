"""Security keys and passkeys (WebAuthn Level 3) through py_webauthn: the options a browser takes,
and the checks of what it answers. No CBOR or COSE is parsed here: the library does it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from twofactor.security.rules import MAX_CREDENTIAL_ID_BYTES, MAX_PUBLIC_KEY_BYTES, WEBAUTHN_CHALLENGE_LIFETIME

# 32 random bytes: WebAuthn asks for at least 16.
CHALLENGE_BYTES = 32
USER_HANDLE_BYTES = 32
_TIMEOUT_MS = int(WEBAUTHN_CHALLENGE_LIFETIME.total_seconds() * 1000)
_NO_AAGUID = "00000000-0000-0000-0000-000000000000"
_TRANSPORTS = {t.value: t for t in AuthenticatorTransport}


@dataclass(frozen=True)
class KnownCredential:
    """A key of the user's, as options name it: its credential id (base64url) and transports."""

    credential_id: str
    transports: tuple[str, ...]


@dataclass(frozen=True)
class Registered:
    """A verified new credential."""

    credential_id: str
    public_key: str
    sign_count: int
    aaguid: str | None  # None when the authenticator gave none (all zeros)
    backup_eligible: bool
    backup_state: bool
    transports: tuple[str, ...]


@dataclass(frozen=True)
class Asserted:
    """A verified assertion: the counter and backup state the key reported."""

    sign_count: int
    backup_state: bool


def new_challenge() -> str:
    """A fresh challenge, base64url."""
    return bytes_to_base64url(secrets.token_bytes(CHALLENGE_BYTES))


def new_user_handle() -> str:
    """An opaque user handle for a user's keys, base64url: random, so it tells nothing about the user."""
    return bytes_to_base64url(secrets.token_bytes(USER_HANDLE_BYTES))


def _descriptors(keys: list[KnownCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(key.credential_id),
            transports=[_TRANSPORTS[t] for t in key.transports if t in _TRANSPORTS] or None,
        )
        for key in keys
    ]


def creation_options(
    *,
    rp_id: str,
    rp_name: str,
    user_handle: str,
    user_name: str,
    challenge: str,
    exclude: list[KnownCredential],
) -> dict[str, Any]:
    """PublicKeyCredentialCreationOptionsJSON for a new key: attestation "none", a discoverable
    credential preferred, user verification preferred, the user's keys excluded."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_name=user_name,
        user_id=base64url_to_bytes(user_handle),
        user_display_name=user_name,
        challenge=base64url_to_bytes(challenge),
        timeout=_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(exclude),
    )
    return options_to_json_dict(options)


def request_options(*, rp_id: str, challenge: str, allow: list[KnownCredential]) -> dict[str, Any]:
    """PublicKeyCredentialRequestOptionsJSON for signing with one of `allow`."""
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=base64url_to_bytes(challenge),
        timeout=_TIMEOUT_MS,
        allow_credentials=_descriptors(allow),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json_dict(options)


def credential_id_of(credential: object) -> str | None:
    """The credential id a browser's PublicKeyCredential JSON names, if it is well formed."""
    if not isinstance(credential, dict):
        return None
    value = credential.get("id")
    if not isinstance(value, str) or not 0 < len(value) <= 1400:
        return None
    try:
        base64url_to_bytes(value)
    except ValueError:
        return None
    return value


def verify_registration(
    credential: dict[str, Any], *, challenge: str, rp_id: str, origins: tuple[str, ...]
) -> Registered | None:
    """The new credential, when `credential` (PublicKeyCredential.toJSON() of a create()) answers
    `challenge` from one of `origins` for `rp_id`; else None."""
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=list(origins),
            require_user_verification=False,
        )
        framed = _framed_by_another_site(parsed.response.client_data_json)
    except Exception:
        # Whatever a misshapen credential makes the parser raise, it is a refusal like any other.
        return None
    if framed:
        return None
    too_long = len(verified.credential_id) > MAX_CREDENTIAL_ID_BYTES
    if too_long or len(verified.credential_public_key) > MAX_PUBLIC_KEY_BYTES:
        return None
    response = credential.get("response")
    raw = response.get("transports") if isinstance(response, dict) else None
    # Each known transport once: the stored list has room for all of them, not for repeats.
    known = dict.fromkeys(t for t in raw if isinstance(t, str) and t in _TRANSPORTS) if isinstance(raw, list) else {}
    transports = tuple(known)
    return Registered(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        aaguid=None if verified.aaguid == _NO_AAGUID else verified.aaguid,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backup_state=verified.credential_backed_up,
        transports=transports,
    )


def verify_assertion(
    credential: dict[str, Any],
    *,
    challenge: str,
    rp_id: str,
    origins: tuple[str, ...],
    public_key: str,
    backup_eligible: bool,
    user_handle: str,
) -> Asserted | None:
    """The counter and backup state, when `credential` (PublicKeyCredential.toJSON() of a get())
    is signed by `public_key` over `challenge` from one of `origins` for `rp_id`, by the key
    stored with `backup_eligible` and `user_handle`; else None.

    The counter is not compared here (the library would only raise): `counter_went_back` does,
    so that a cloned key can be suspended rather than just refused.
    """
    try:
        parsed = parse_authentication_credential_json(credential)
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=list(origins),
            credential_public_key=base64url_to_bytes(public_key),
            credential_current_sign_count=0,
            require_user_verification=False,
        )
        framed = _framed_by_another_site(parsed.response.client_data_json)
        handle = base64url_to_bytes(user_handle)
    except Exception:
        return None
    # WebAuthn §7.2: a credential is backup eligible (a passkey that may sync) or not for life.
    eligible = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    # A discoverable credential names the user handle it was created with; another one is not this key's.
    named = parsed.response.user_handle
    if framed or eligible != backup_eligible or (named and named != handle):
        return None
    return Asserted(sign_count=verified.new_sign_count, backup_state=verified.credential_backed_up)


def _framed_by_another_site(client_data_json: bytes) -> bool:
    """Whether the browser ran the ceremony in an iframe of another site (clientDataJSON's
    crossOrigin): no page of ours expects that, so an answer from one verifies nothing
    (WebAuthn §7.1 and §7.2: the relying party must expect it)."""
    return parse_client_data_json(client_data_json).cross_origin is True


def counter_went_back(stored: int, reported: int) -> bool:
    """WebAuthn §6.1.1: when either counter is nonzero, the key's must have grown; if it did not,
    two copies of the key may be in use (a clone)."""
    return (reported > 0 or stored > 0) and reported <= stored
