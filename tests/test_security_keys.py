"""Security keys and passkeys (WebAuthn): set-up, sign-in, fresh factor, and what is refused,
with a software authenticator (tests/webauthn_support.py) against py_webauthn's checks."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

import cbor2
import pytest
from helpers import (
    MY_TWO_FACTOR,
    PASSWORD,
    VERIFY_LOGIN,
    Harness,
    add_app,
    create_user,
    login,
    remove,
    signed_in,
)
from test_admin import RESET, admin_token
from test_query_counts import counting
from test_subscriptions import listening, signed_socket
from webauthn_support import ORIGIN, RP_ID, SoftKey, b64url

from twofactor.models import (
    AuditEvent,
    Authenticator,
    KnownDevice,
    Policy,
    SecurityKey,
    Session,
    Setup,
    User,
    WebAuthnChallenge,
)
from twofactor.models.security_keys import claim_challenge, credential_registered, key_signed_in
from twofactor.resolvers import security_keys
from twofactor.resolvers.notices import user_channel
from twofactor.security.rules import (
    ATTEMPTS_PER_VERIFICATION,
    MAX_CREDENTIAL_ID_BYTES,
    MAX_OPEN_SETUPS_PER_USER,
    MAX_PUBLIC_KEY_BYTES,
    USER_FAILURES_BEFORE_WAIT,
    WEBAUTHN_CHALLENGE_LIFETIME,
)
from twofactor.server.context import now

SET_UP_KEY = """
mutation($name: String!) { myTwoFactor { setUpSecurityKey(name: $name) {
  setup { id method status name expiresAt attemptsLeft securityKey { creationOptions } }
  error { code message field retryAfterSeconds }
} } }"""

SUBMIT_KEY = """
mutation($id: ID!, $credential: JSON!, $name: String) { myTwoFactor {
  submitSecurityKey(setupId: $id, credential: $credential, name: $name) {
    authenticator { id name method securityKey { synced backedUp aaguid suspendedAt } }
    message recoveryCodes setup { id status attemptsLeft }
    error { code message field attemptsLeft }
} } }"""

KEY_OPTIONS = """
mutation { securityKeyOptions { requestOptions expiresAt error { code message } } }"""

VERIFY_KEY = """
mutation($credential: JSON!) { verifyLoginWithSecurityKey(credential: $credential) {
  token session { nextStep } error { code message attemptsLeft }
} }"""

KEYS = """
{ myTwoFactor { authenticators { id name method lastUsedAt securityKey { synced backedUp aaguid suspendedAt } } } }"""

REGENERATE = """
mutation($code: String) { myTwoFactor { regenerateRecoveryCodes(code: $code) { recoveryCodes error { code } } } }"""


async def enable_keys(enabled: bool = True) -> None:
    policy = await Policy.current(fresh=True)
    policy.security_key_enabled = enabled
    await policy.save()


async def start(app: Harness, token: str, name: str = "YubiKey") -> dict[str, Any]:
    payload: dict[str, Any] = (await app.gql(SET_UP_KEY, {"name": name}, token=token))["data"]["myTwoFactor"][
        "setUpSecurityKey"
    ]
    return payload


async def submit(app: Harness, token: str, setup_id: str, credential: Any, name: str | None = None) -> dict[str, Any]:
    body = await app.gql(SUBMIT_KEY, {"id": setup_id, "credential": credential, "name": name}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["submitSecurityKey"]
    return payload


async def add_key(app: Harness, token: str, key: SoftKey, name: str = "YubiKey") -> dict[str, Any]:
    started = await start(app, token, name)
    assert started["error"] is None, started
    setup = started["setup"]
    done = await submit(app, token, setup["id"], key.create(setup["securityKey"]["creationOptions"]))
    assert done["error"] is None, done
    return done


async def options(app: Harness, token: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await app.gql(KEY_OPTIONS, token=token))["data"]["securityKeyOptions"]
    return payload


async def verify(app: Harness, token: str, credential: Any) -> dict[str, Any]:
    body = await app.gql(VERIFY_KEY, {"credential": credential}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["verifyLoginWithSecurityKey"]
    return payload


async def all_tries_but_one_failed(app: Harness, pending: str, key: SoftKey) -> dict[str, Any]:
    """The challenge's request options, after every try but the last failed (signed for another origin)."""
    request: dict[str, Any] = (await options(app, pending))["requestOptions"]
    for _ in range(ATTEMPTS_PER_VERIFICATION - 1):
        failed = await verify(app, pending, key.get(request, origin="https://evil.example"))
        assert failed["error"]["code"] == "INVALID_CODE"
    return request


async def user_with_key(app: Harness, email: str, key: SoftKey) -> tuple[int, str]:
    """A user whose one authenticator is `key`, and a session at the sign-in challenge."""
    await enable_keys()
    user, token = await signed_in(app, email)
    await add_key(app, token, key)
    challenged = await login(app, email)
    assert challenged["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    return user.id, challenged["token"]


async def test_a_key_is_set_up_with_creation_options_and_shown_with_its_flags(app: Harness, ada: str) -> None:
    await enable_keys()
    user, token = await signed_in(app, ada)
    started = await start(app, token)
    assert started["error"] is None
    setup = started["setup"]
    assert (setup["method"], setup["status"], setup["name"]) == ("SECURITY_KEY", "PENDING", "YubiKey")
    creation = setup["securityKey"]["creationOptions"]
    assert creation["rp"] == {"id": RP_ID, "name": app.settings.issuer}
    assert creation["attestation"] == "none"
    assert creation["authenticatorSelection"]["residentKey"] == "preferred"
    assert creation["authenticatorSelection"]["userVerification"] == "preferred"
    assert creation["excludeCredentials"] == []
    assert creation["user"]["name"] == ada
    # An opaque handle: neither the database id nor the address.
    assert creation["user"]["id"] not in (str(user.id), ada) and len(creation["user"]["id"]) >= 40
    key = SoftKey(aaguid=bytes(range(16)), backup_eligible=True, backed_up=True)
    done = await submit(app, token, setup["id"], key.create(creation))
    assert done["error"] is None, done
    assert done["message"] == "Two-factor authentication is set up."
    assert len(done["recoveryCodes"]) == 10
    assert done["setup"]["status"] == "VERIFIED"
    shown = done["authenticator"]
    assert (shown["name"], shown["method"]) == ("YubiKey", "SECURITY_KEY")
    assert shown["securityKey"] == {
        "synced": True,
        "backedUp": True,
        "aaguid": "00010203-0405-0607-0809-0a0b0c0d0e0f",
        "suspendedAt": None,
    }
    stored = await SecurityKey.get(credential_id=key.id)
    assert stored.user_handle == creation["user"]["id"]
    assert stored.transports == "usb,nfc"
    assert await AuditEvent.filter(target_id=user.id, action="authenticator.added").exists()
    notice = (await app.mails_to(ada))[0]
    assert "Security key" in notice.part("text/plain")


async def test_a_second_key_excludes_the_first_and_keeps_the_user_handle(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    first = SoftKey()
    await add_key(app, token, first, "One")
    started = await start(app, token, "Two")
    creation = started["setup"]["securityKey"]["creationOptions"]
    assert [c["id"] for c in creation["excludeCredentials"]] == [first.id]
    assert creation["excludeCredentials"][0]["transports"] == ["usb", "nfc"]
    assert creation["user"]["id"] == (await SecurityKey.get(credential_id=first.id)).user_handle
    second = SoftKey()
    done = await submit(app, token, started["setup"]["id"], second.create(creation))
    assert done["error"] is None and done["recoveryCodes"] is None
    assert done["message"] == "The authenticator was added."
    listed = (await app.gql(KEYS, token=token))["data"]["myTwoFactor"]["authenticators"]
    # No AAGUID (all zeros) shows as null; a key bound to one device is not synced.
    assert [a["securityKey"] for a in listed] == [
        {"synced": False, "backedUp": False, "aaguid": None, "suspendedAt": None}
    ] * 2


async def test_the_page_reads_the_details_of_all_its_keys_in_one_query(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    await add_key(app, token, SoftKey(), "One")
    with counting() as one:
        listed = (await app.gql(KEYS, token=token))["data"]["myTwoFactor"]["authenticators"]
    assert [a["securityKey"]["synced"] for a in listed] == [False]
    await add_key(app, token, SoftKey(backup_eligible=True), "Two")
    await add_key(app, token, SoftKey(), "Three")
    with counting() as three:
        listed = (await app.gql(KEYS, token=token))["data"]["myTwoFactor"]["authenticators"]
    assert [a["securityKey"]["synced"] for a in listed] == [False, True, False]
    assert len(three) == len(one), three
    assert sum('FROM "security_keys"' in statement for statement in three) == 1


async def test_a_credential_registered_already_is_refused(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    await add_key(app, token, key, "One")
    started = await start(app, token, "Again")
    again = await submit(
        app, token, started["setup"]["id"], key.create(started["setup"]["securityKey"]["creationOptions"])
    )
    assert again["error"]["code"] == "INVALID_INPUT"
    assert "already registered" in again["error"]["message"]
    assert await SecurityKey.filter(credential_id=key.id).count() == 1


async def test_a_credential_id_of_another_users_key_proves_nothing(app: Harness, ada: str) -> None:
    # Attestation "none": anyone can make a registration that verifies, for any credential id.
    # Naming another user's key neither registers it nor ends the failures in a row.
    await enable_keys()
    _, bob = await signed_in(app, "bob-" + ada)
    bobs_key = SoftKey()
    await add_key(app, bob, bobs_key)
    _, token = await signed_in(app, ada)
    failures = 0
    while failures < USER_FAILURES_BEFORE_WAIT - 1:
        setup = (await start(app, token, f"Key {failures}"))["setup"]
        creation = setup["securityKey"]["creationOptions"]
        for _ in range(min(ATTEMPTS_PER_VERIFICATION - 1, USER_FAILURES_BEFORE_WAIT - 1 - failures)):
            failed = await submit(app, token, setup["id"], SoftKey().create(creation, origin="https://evil.example"))
            assert failed["error"]["code"] == "INVALID_CODE"
            failures += 1
    setup = (await start(app, token, "Squatter"))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    squatted = await submit(app, token, setup["id"], SoftKey(credential_id=bobs_key.credential_id).create(creation))
    assert squatted["error"]["code"] == "INVALID_INPUT"
    # The answer counted as the failure that makes the user wait.
    waiting = await submit(app, token, setup["id"], SoftKey().create(creation))
    assert waiting["error"]["code"] == "RATE_LIMITED"
    stored = await SecurityKey.get(credential_id=bobs_key.id).prefetch_related("authenticator")
    assert stored.authenticator.name == "YubiKey" and await SecurityKey.all().count() == 1


async def test_naming_a_registered_credential_is_a_wrong_answer_on_the_record(app: Harness, ada: str) -> None:
    # Counted, audited and shown like a key that did not verify: the last try locks the set-up.
    await enable_keys()
    _, bob = await signed_in(app, "bob-" + ada)
    bobs_key = SoftKey()
    await add_key(app, bob, bobs_key)
    user, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    squatter = SoftKey(credential_id=bobs_key.credential_id)
    for left in range(ATTEMPTS_PER_VERIFICATION - 1, 0, -1):
        taken = await submit(app, token, setup["id"], squatter.create(creation))
        assert taken["error"]["code"] == "INVALID_INPUT" and "already registered" in taken["error"]["message"]
        assert taken["error"]["attemptsLeft"] == left
    last = await submit(app, token, setup["id"], squatter.create(creation))
    assert last["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert (await Setup.get(id=setup["id"])).status == "LOCKED"
    failed = await AuditEvent.filter(target_id=user.id, action="setup.code_failed")
    assert [e.details["reason"] for e in failed] == ["credential_taken"] * (ATTEMPTS_PER_VERIFICATION - 1)
    assert await AuditEvent.filter(target_id=user.id, action="setup.locked").count() == 1


async def test_a_credential_registered_during_the_set_up_does_not_end_the_failures(
    app: Harness, ada: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await enable_keys()
    _, bob = await signed_in(app, "bob-" + ada)
    await add_key(app, bob, SoftKey())
    bobs = await SecurityKey.get()
    user, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    wrong = await submit(app, token, setup["id"], SoftKey().create(creation, origin="https://evil.example"))
    assert wrong["error"]["code"] == "INVALID_CODE"

    async def registered_meanwhile(credential_id: str) -> bool:
        found = await credential_registered(credential_id)
        # Between this check and the set-up's write, another user's set-up stored the same credential.
        await SecurityKey.filter(id=bobs.id).update(credential_id=credential_id)
        return found

    monkeypatch.setattr(security_keys, "credential_registered", registered_meanwhile)
    taken = await submit(app, token, setup["id"], SoftKey().create(creation))
    assert taken["error"]["code"] == "INVALID_INPUT" and "already registered" in taken["error"]["message"]
    assert taken["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 2
    # As when the check finds it: the answer proves nothing, so the failures in a row go on.
    assert (await User.get(id=user.id)).failed_verifications == 2
    failed = await AuditEvent.filter(target_id=user.id, action="setup.code_failed").order_by("id")
    assert [e.details.get("reason") for e in failed] == [None, "credential_taken"]
    assert await SecurityKey.all().count() == 1


class PaddedKey(SoftKey):
    """A software key whose COSE public key carries a large extra field (the parser ignores it)."""

    def _cose_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y, -70000: bytes(MAX_PUBLIC_KEY_BYTES)})


@pytest.mark.parametrize(
    "key",
    [SoftKey(credential_id=bytes(MAX_CREDENTIAL_ID_BYTES + 1)), PaddedKey()],
    ids=["long credential id", "padded public key"],
)
async def test_an_oversized_credential_is_refused_and_counts_a_try(app: Harness, ada: str, key: SoftKey) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    refused = await submit(app, token, setup["id"], key.create(setup["securityKey"]["creationOptions"]))
    assert refused["error"]["code"] == "INVALID_CODE"
    assert refused["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    assert not await SecurityKey.exists()


async def test_repeated_transports_are_stored_once(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    answer = SoftKey(credential_id=bytes(MAX_CREDENTIAL_ID_BYTES)).create(setup["securityKey"]["creationOptions"])
    answer["response"]["transports"] = ["usb", "nfc"] * 100 + ["warp-drive"]
    assert (await submit(app, token, setup["id"], answer))["error"] is None
    assert (await SecurityKey.get()).transports == "usb,nfc"


async def test_a_wrong_origin_or_rp_id_is_refused_and_counts_a_try(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    key = SoftKey()
    wrong_origin = await submit(app, token, setup["id"], key.create(creation, origin="https://evil.example"))
    assert wrong_origin["error"]["code"] == "INVALID_CODE"
    assert wrong_origin["error"]["message"].startswith("That security key could not be verified.")
    assert wrong_origin["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    wrong_rp = await submit(app, token, setup["id"], key.create(creation, rp_id="evil.example"))
    assert wrong_rp["error"]["code"] == "INVALID_CODE"
    assert wrong_rp["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 2
    assert not await Authenticator.filter(method="SECURITY_KEY").exists()
    # The set-up still takes the right answer.
    done = await submit(app, token, setup["id"], key.create(creation))
    assert done["error"] is None, done


async def test_the_set_ups_tries_run_out(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    key = SoftKey()
    for _ in range(ATTEMPTS_PER_VERIFICATION - 1):
        failed = await submit(app, token, setup["id"], key.create(creation, origin="https://evil.example"))
        assert failed["error"]["code"] == "INVALID_CODE"
    locked = await submit(app, token, setup["id"], key.create(creation, origin="https://evil.example"))
    assert locked["error"]["code"] == "TOO_MANY_ATTEMPTS"
    right = await submit(app, token, setup["id"], key.create(creation))
    assert right["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert not await SecurityKey.exists()


async def test_a_set_up_challenge_is_used_once_and_only_by_its_set_up(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    first = (await start(app, token, "One"))["setup"]
    second = (await start(app, token, "Two"))["setup"]
    key = SoftKey()
    # The first set-up's challenge answered to the second set-up: refused, not registered.
    crossed = await submit(app, token, second["id"], key.create(first["securityKey"]["creationOptions"]))
    assert crossed["error"]["code"] == "INVALID_CODE"
    answer = key.create(first["securityKey"]["creationOptions"])
    assert (await submit(app, token, first["id"], answer))["error"] is None
    replayed = await submit(app, token, first["id"], answer)
    assert replayed["error"]["code"] == "CODE_EXPIRED"
    assert await SecurityKey.all().count() == 1


async def test_a_sign_in_challenge_registers_nothing_and_a_set_up_challenge_signs_nothing_in(
    app: Harness, ada: str
) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    await add_key(app, token, key, "One")
    request = (await options(app, token))["requestOptions"]
    setup = (await start(app, token, "Two"))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    other = SoftKey()
    crossed = await submit(app, token, setup["id"], other.create(creation, challenge=request["challenge"]))
    assert crossed["error"]["code"] == "INVALID_CODE"
    assert (await verify(app, token, key.get(request, challenge=creation["challenge"])))["error"]["code"] == (
        "INVALID_CODE"
    )
    # A registration's answer over the session's own challenge is no assertion either.
    as_assertion = key.create(creation, challenge=request["challenge"])
    assert (await verify(app, token, as_assertion))["error"]["code"] == "INVALID_CODE"
    # Each challenge still serves its own ceremony.
    assert (await submit(app, token, setup["id"], other.create(creation)))["error"] is None
    assert (await verify(app, token, key.get(request)))["error"] is None


async def test_an_expired_set_up_challenge_is_refused(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    past = now() - timedelta(seconds=1)
    await WebAuthnChallenge.filter(setup_id=setup["id"]).update(expires_at=past)
    refused = await submit(app, token, setup["id"], SoftKey().create(setup["securityKey"]["creationOptions"]))
    assert refused["error"]["code"] == "CODE_EXPIRED"
    # The set-up itself lasts as long as its challenge.
    stored = await Setup.get(id=setup["id"])
    assert stored.expires_at - stored.created_at <= WEBAUTHN_CHALLENGE_LIFETIME + timedelta(seconds=1)


async def test_the_method_turned_off_refuses_set_up_and_sign_in(app: Harness, ada: str) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    await enable_keys(False)
    assert (await options(app, pending))["error"]["code"] == "METHOD_DISABLED"
    await enable_keys(True)
    request = (await options(app, pending))["requestOptions"]
    await enable_keys(False)
    # As an app or email authenticator of a method turned off: it no longer signs in.
    assert (await verify(app, pending, key.get(request)))["error"]["code"] == "METHOD_DISABLED"
    challenged = await login(app, ada)
    assert challenged["authenticators"] == []
    _, token = await signed_in(app, "other-" + ada)
    assert (await start(app, token))["error"]["code"] == "METHOD_DISABLED"


async def test_a_key_signs_in_at_the_challenge_like_verify_login(app: Harness, ada: str) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    challenged = await login(app, ada)
    assert [a["method"] for a in challenged["authenticators"]] == ["SECURITY_KEY"]
    assert challenged["authenticators"][0]["name"] == "Security key"
    got = await options(app, pending)
    assert got["error"] is None
    request = got["requestOptions"]
    assert request["rpId"] == RP_ID and request["userVerification"] == "preferred"
    assert [c["id"] for c in request["allowCredentials"]] == [key.id]
    passed = await verify(app, pending, key.get(request))
    assert passed["error"] is None, passed
    assert passed["session"]["nextStep"] == "DONE"
    token = passed["token"]
    assert token and token != pending
    # The password-only token stops working; the new one reads the page.
    assert (await app.gql(MY_TWO_FACTOR, token=pending)).get("errors")
    listed = (await app.gql(KEYS, token=token))["data"]["myTwoFactor"]["authenticators"]
    assert listed[0]["lastUsedAt"] is not None
    assert (await SecurityKey.get(credential_id=key.id)).sign_count == 1
    passed_events = await AuditEvent.filter(target_id=user_id, action="login.factor_passed")
    assert [e.details for e in passed_events] == [{"method": "SECURITY_KEY"}]


async def test_a_sign_in_challenge_is_used_once_and_only_by_its_session(app: Harness, ada: str) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    answer = key.get(request)
    other = (await login(app, ada))["token"]
    other_request = (await options(app, other))["requestOptions"]
    # The other session's challenge signed, sent by this session: it does not verify here.
    crossed = await verify(app, pending, key.get(other_request))
    assert crossed["error"]["code"] == "INVALID_CODE"
    passed = await verify(app, pending, answer)
    assert passed["error"] is None
    # The same answer again, on the session now signed in (its new token): its challenge was used.
    assert (await verify(app, passed["token"], answer))["error"]["code"] == "CODE_EXPIRED"


async def test_a_replayed_answer_is_refused_on_a_signed_in_session(app: Harness, ada: str) -> None:
    key = SoftKey()
    await enable_keys()
    _, token = await signed_in(app, ada)
    await add_key(app, token, key)
    request = (await options(app, token))["requestOptions"]
    answer = key.get(request)
    assert (await verify(app, token, answer))["error"] is None
    assert (await verify(app, token, answer))["error"]["code"] == "CODE_EXPIRED"


async def test_a_new_options_request_ends_the_sessions_earlier_challenge(app: Harness, ada: str) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    earlier = (await options(app, pending))["requestOptions"]
    await options(app, pending)
    refused = await verify(app, pending, key.get(earlier))
    assert refused["error"]["code"] == "INVALID_CODE"


async def test_an_expired_sign_in_challenge_is_refused(app: Harness, ada: str) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    await WebAuthnChallenge.filter(session_id__isnull=False).update(expires_at=now() - timedelta(seconds=1))
    refused = await verify(app, pending, key.get(request))
    assert refused["error"]["code"] == "CODE_EXPIRED"


async def test_wrong_origin_and_rp_id_are_refused_at_sign_in(app: Harness, ada: str) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    wrong_origin = await verify(app, pending, key.get(request, origin="https://evil.example"))
    assert wrong_origin["error"]["code"] == "INVALID_CODE"
    assert wrong_origin["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    wrong_rp = await verify(app, pending, key.get(request, rp_id="evil.example"))
    assert wrong_rp["error"]["code"] == "INVALID_CODE"
    assert wrong_rp["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 2
    # A key the user does not have counts as a failure too.
    stranger = await verify(app, pending, SoftKey().get(request))
    assert stranger["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 3
    assert (await verify(app, pending, key.get(request)))["error"] is None


async def test_a_ceremony_framed_by_another_site_is_refused(app: Harness, ada: str) -> None:
    # clientDataJSON's crossOrigin: our page in another site's iframe. No page of ours expects to
    # be framed (WebAuthn §7.1 and §7.2: verify the relying party expects it), so it never verifies.
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    key = SoftKey()
    framed = await submit(app, token, setup["id"], key.create(creation, top_origin="https://evil.example"))
    assert framed["error"]["code"] == "INVALID_CODE"
    assert framed["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    assert (await submit(app, token, setup["id"], key.create(creation)))["error"] is None
    request = (await options(app, token))["requestOptions"]
    framed = await verify(app, token, key.get(request, top_origin="https://evil.example"))
    assert framed["error"]["code"] == "INVALID_CODE"
    assert (await verify(app, token, key.get(request)))["error"] is None


@pytest.mark.parametrize("synced", [False, True], ids=["device-bound", "synced"])
async def test_a_key_whose_backup_eligibility_changed_does_not_verify(app: Harness, ada: str, synced: bool) -> None:
    # WebAuthn §7.2: a credential is backup eligible or not for life; its backup state may change.
    key = SoftKey(backup_eligible=synced, backed_up=synced)
    _, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    key.backup_eligible = key.backed_up = not synced
    changed = await verify(app, pending, key.get(request))
    assert changed["error"]["code"] == "INVALID_CODE"
    assert changed["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    stored = await SecurityKey.get(credential_id=key.id)
    assert (stored.backup_eligible, stored.backup_state, stored.sign_count) == (synced, synced, 0)
    key.backup_eligible, key.backed_up = synced, False
    assert (await verify(app, pending, key.get(request)))["error"] is None
    assert (await SecurityKey.get(credential_id=key.id)).backup_state is False


async def test_an_answer_naming_another_user_handle_does_not_verify(app: Harness, ada: str) -> None:
    # WebAuthn §7.2: a user handle in the answer must be the one the key was created with.
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    answer = key.get(request)
    answer["response"]["userHandle"] = b64url(secrets.token_bytes(32))
    assert (await verify(app, pending, answer))["error"]["code"] == "INVALID_CODE"
    # A discoverable credential names its own handle: that one verifies.
    answer = key.get(request)
    answer["response"]["userHandle"] = (await SecurityKey.get(credential_id=key.id)).user_handle
    assert (await verify(app, pending, answer))["error"] is None


async def test_the_challenges_tries_run_out_and_end_the_sign_in(app: Harness, ada: str) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    request = await all_tries_but_one_failed(app, pending, key)
    last = await verify(app, pending, key.get(request, origin="https://evil.example"))
    assert last["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert not await Session.filter(user_id=user_id, state="challenge").exists()


async def test_a_counter_that_goes_back_suspends_the_key(app: Harness, ada: str) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    assert (await verify(app, pending, key.get(request, sign_count=7)))["error"] is None
    again = (await login(app, ada))["token"]
    request = (await options(app, again))["requestOptions"]
    # A copy of the key, behind the original: its counter is not above the last one seen.
    cloned = await verify(app, again, key.get(request, sign_count=7))
    assert cloned["error"]["code"] == "INVALID_CODE"
    assert "suspended" in cloned["error"]["message"]
    assert cloned["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    stored = await SecurityKey.get(credential_id=key.id)
    assert stored.suspended_at is not None and stored.sign_count == 7
    assert await AuditEvent.filter(target_id=user_id, action="security_key.suspended").count() == 1
    notice = [m for m in await app.mails_to(ada, 2) if "is suspended" in m.part("text/plain")]
    assert len(notice) == 1 and "YubiKey" in notice[0].part("text/plain")
    # Suspended: not offered, and refused even with a counter that went up.
    assert (await options(app, again))["error"]["code"] == "NOT_FOUND"
    refused = await verify(app, again, key.get(request, sign_count=100))
    assert refused["error"]["code"] == "INVALID_CODE" and "suspended" in refused["error"]["message"]
    await app.gql(KEYS, token=again)  # still at the challenge: nothing to read
    assert (await SecurityKey.get(credential_id=key.id)).sign_count == 7


async def test_only_the_suspended_key_itself_hears_that_it_is_suspended(app: Harness, ada: str) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    await SecurityKey.filter(credential_id=key.id).update(suspended_at=now())
    # Someone with the password names the key's credential id without the key: no free answer
    # telling the key is suspended, and a try spent like any answer that does not verify.
    forged = await verify(app, pending, SoftKey(credential_id=key.credential_id).get(request))
    assert forged["error"]["code"] == "INVALID_CODE" and "suspended" not in forged["error"]["message"]
    assert forged["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    # The key itself is told; its answer is a wrong one all the same.
    real = await verify(app, pending, key.get(request))
    assert real["error"]["code"] == "INVALID_CODE" and "suspended" in real["error"]["message"]
    assert real["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 2
    assert await AuditEvent.filter(target_id=user_id, action="login.factor_failed").count() == 2
    assert (await SecurityKey.get(credential_id=key.id)).sign_count == 0


async def test_a_parallel_sign_in_that_got_the_counter_first_suspends_the_key(
    app: Harness, ada: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]

    async def behind(**kwargs: Any) -> Any:
        # Between this request's read of the key and its write, another sign-in (a copy of the key,
        # or the same key on another session) reported the same counter and was stored.
        await SecurityKey.filter(credential_id=key.id).update(sign_count=5)
        return await key_signed_in(**kwargs)

    monkeypatch.setattr(security_keys, "key_signed_in", behind)
    raced = await verify(app, pending, key.get(request, sign_count=5))
    assert raced["error"]["code"] == "INVALID_CODE" and "suspended" in raced["error"]["message"]
    assert raced["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    stored = await SecurityKey.get(credential_id=key.id)
    assert stored.suspended_at is not None and stored.sign_count == 5
    assert await AuditEvent.filter(target_id=user_id, action="security_key.suspended").count() == 1
    assert await Session.filter(user_id=user_id, state="challenge").exists()


async def test_a_counter_that_goes_back_on_the_last_try_ends_the_sign_in(app: Harness, ada: str) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    request = await all_tries_but_one_failed(app, pending, key)
    # The key was last seen at 3: a copy reporting 2 is behind it.
    await SecurityKey.filter(credential_id=key.id).update(sign_count=3)
    last = await verify(app, pending, key.get(request, sign_count=2))
    assert last["error"]["code"] == "TOO_MANY_ATTEMPTS" and last["error"]["attemptsLeft"] == 0
    assert (await SecurityKey.get(credential_id=key.id)).suspended_at is not None
    assert not await Session.filter(user_id=user_id, state="challenge").exists()


async def test_the_api_shows_a_suspended_key(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    await add_key(app, token, key)
    await SecurityKey.filter(credential_id=key.id).update(suspended_at=now())
    listed = (await app.gql(KEYS, token=token))["data"]["myTwoFactor"]["authenticators"]
    assert listed[0]["securityKey"]["suspendedAt"] is not None
    assert (await options(app, token))["error"]["code"] == "NOT_FOUND"


async def test_a_key_proves_a_fresh_factor_for_remove_and_new_recovery_codes(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    await add_key(app, token, key)
    app_result, _, _ = await add_app(app, token, "Phone")
    # The session's factor is stale: remove without a code is refused.
    await Session.all().update(second_factor_at=now() - timedelta(hours=1))
    stale = await remove(app, token, app_result["authenticator"]["id"])
    assert stale["error"]["code"] == "FRESH_CODE_REQUIRED"
    request = (await options(app, token))["requestOptions"]
    fresh = await verify(app, token, key.get(request))
    assert fresh["error"] is None and fresh["token"] is None
    assert fresh["session"]["nextStep"] == "DONE"
    assert (await remove(app, token, app_result["authenticator"]["id"]))["error"] is None
    regenerated = (await app.gql(REGENERATE, token=token))["data"]["myTwoFactor"]["regenerateRecoveryCodes"]
    assert regenerated["error"] is None and len(regenerated["recoveryCodes"]) == 10


async def test_a_key_that_does_not_verify_proves_no_fresh_factor(app: Harness, ada: str) -> None:
    await enable_keys()
    user, token = await signed_in(app, ada)
    key = SoftKey()
    await add_key(app, token, key)
    await Session.all().update(second_factor_at=now() - timedelta(hours=1))
    request = (await options(app, token))["requestOptions"]
    refused = await verify(app, token, key.get(request, origin="https://evil.example"))
    assert refused["error"]["code"] == "INVALID_CODE"
    assert (await app.gql(REGENERATE, token=token))["data"]["myTwoFactor"]["regenerateRecoveryCodes"]["error"][
        "code"
    ] == "FRESH_CODE_REQUIRED"
    assert await AuditEvent.filter(target_id=user.id, action="session.factor_refresh_failed").exists()


async def test_open_set_ups_are_bounded(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    for n in range(MAX_OPEN_SETUPS_PER_USER):
        assert (await start(app, token, f"Key {n}"))["error"] is None
    assert (await start(app, token, "One more"))["error"]["code"] == "RATE_LIMITED"


async def test_a_code_mutation_refuses_a_key_set_up_and_a_key(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    submitted = await app.gql(
        """mutation($id: ID!) { myTwoFactor { submitCode(setupId: $id, code: "123456") { error { code } } } }""",
        {"id": setup["id"]},
        token=token,
    )
    assert submitted["data"]["myTwoFactor"]["submitCode"]["error"]["code"] == "INVALID_INPUT"
    assert (await Setup.get(id=setup["id"])).failed_attempts == 0
    key = SoftKey()
    await submit(app, token, setup["id"], key.create(setup["securityKey"]["creationOptions"]))
    challenged = await login(app, ada)
    code_for_key = await app.gql(
        VERIFY_LOGIN, {"id": challenged["authenticators"][0]["id"], "code": "123456"}, token=challenged["token"]
    )
    assert code_for_key["data"]["verifyLogin"]["error"]["code"] == "INVALID_INPUT"
    assert (await Session.get(token_hash__isnull=False, state="challenge")).failed_attempts == 0


@pytest.mark.parametrize("credential", [[], "text", {"id": ""}, {"id": "not base64!"}])
async def test_a_misshapen_credential_is_invalid_input(app: Harness, ada: str, credential: Any) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    await options(app, pending)
    refused = await verify(app, pending, credential)
    assert refused["error"]["code"] == "INVALID_INPUT"
    assert (await Session.get(token_hash__isnull=False, state="challenge")).failed_attempts == 0


async def test_origins_come_from_the_settings(app: Harness, ada: str) -> None:
    assert app.settings.webauthn_origins == (ORIGIN,)
    assert app.settings.webauthn_rp_id == RP_ID
    await create_user(ada)


async def test_wrong_keys_count_on_the_user_across_set_ups(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    failures = 0
    while failures < USER_FAILURES_BEFORE_WAIT:
        setup = (await start(app, token, f"Key {failures}"))["setup"]
        creation = setup["securityKey"]["creationOptions"]
        for _ in range(min(ATTEMPTS_PER_VERIFICATION, USER_FAILURES_BEFORE_WAIT - failures)):
            failed = await submit(app, token, setup["id"], key.create(creation, origin="https://evil.example"))
            assert failed["error"]["code"] in {"INVALID_CODE", "TOO_MANY_ATTEMPTS"}
            failures += 1
    # The user waits now, whichever set-up the next answer is for, right or wrong.
    setup = (await start(app, token, "After"))["setup"]
    waiting = await submit(app, token, setup["id"], key.create(setup["securityKey"]["creationOptions"]))
    assert waiting["error"]["code"] == "RATE_LIMITED"
    assert not await SecurityKey.exists()


async def test_parallel_answers_to_one_challenge_win_once(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    started = (await start(app, token))["setup"]
    answer = key.create(started["securityKey"]["creationOptions"])
    made = await asyncio.gather(*(submit(app, token, started["id"], answer) for _ in range(4)))
    assert sum(m["error"] is None for m in made) == 1, made
    assert await SecurityKey.all().count() == 1
    request = (await options(app, token))["requestOptions"]
    signed = key.get(request)
    results = await asyncio.gather(*(verify(app, token, signed) for _ in range(4)))
    assert sum(r["error"] is None for r in results) == 1, results
    assert {r["error"]["code"] for r in results if r["error"]} == {"CODE_EXPIRED"}
    assert (await SecurityKey.get(credential_id=key.id)).sign_count == 1


async def test_a_stale_session_adds_a_key_after_proving_one(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    await add_key(app, token, key, "One")
    await Session.all().update(second_factor_at=now() - timedelta(hours=1))
    assert (await start(app, token, "Two"))["error"]["code"] == "FRESH_CODE_REQUIRED"
    assert (await verify(app, token, key.get((await options(app, token))["requestOptions"])))["error"] is None
    assert (await start(app, token, "Two"))["error"] is None


async def test_a_sign_in_challenge_shows_no_key_details(app: Harness, ada: str) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    shown = await app.gql("{ session { authenticators { name method securityKey { aaguid } } } }", token=pending)
    assert shown["data"]["session"]["authenticators"] == [
        {"name": "Security key", "method": "SECURITY_KEY", "securityKey": None}
    ]
    assert (await app.gql("{ session { nextStep } }", token=pending))["data"]["session"]["nextStep"] == (
        "TWO_FACTOR_CHALLENGE"
    )


KEY_VERIFICATION = """
subscription($id: ID!) { myTwoFactorVerification(setupId: $id) {
  id status method attemptsLeft securityKey { creationOptions }
} }"""

KEYS_CHANGED = """
subscription { myTwoFactorChanged { authenticators { name method securityKey { synced } } } }"""


async def test_a_key_set_up_is_live_like_the_others(app: Harness, ada: str) -> None:
    await enable_keys()
    user, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    creation = setup["securityKey"]["creationOptions"]
    key = SoftKey(backup_eligible=True)
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", KEY_VERIFICATION, {"id": setup["id"]})
        await socket.subscribe("c", KEYS_CHANGED)
        first = (await socket.data("v"))["myTwoFactorVerification"]
        assert (first["status"], first["method"], first["attemptsLeft"]) == ("PENDING", "SECURITY_KEY", 5)
        assert first["securityKey"]["creationOptions"] == creation
        await listening(app, user_channel(user.id), 2)
        wrong = await submit(app, token, setup["id"], key.create(creation, origin="https://evil.example"))
        assert wrong["error"]["code"] == "INVALID_CODE"
        assert (await socket.data("v"))["myTwoFactorVerification"]["attemptsLeft"] == 4
        assert (await submit(app, token, setup["id"], key.create(creation)))["error"] is None
        verified = await socket.data_until("v", "myTwoFactorVerification", lambda s: s["status"] != "PENDING")
        assert verified["status"] == "VERIFIED" and verified["securityKey"] is None
        assert await socket.ended("v") == "complete"
        changed = await socket.data_until("c", "myTwoFactorChanged", lambda s: bool(s["authenticators"]))
        assert changed["authenticators"] == [
            {"name": "YubiKey", "method": "SECURITY_KEY", "securityKey": {"synced": True}}
        ]


async def test_a_key_is_renamed_and_removed_like_any_authenticator(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    added = await add_key(app, token, key, "One")
    await add_app(app, token, "Phone")
    key_id = added["authenticator"]["id"]
    renamed = await app.gql(
        """mutation($id: ID!) { myTwoFactor { edit(id: $id, name: "Blue key") { authenticator { name } } } }""",
        {"id": key_id},
        token=token,
    )
    assert renamed["data"]["myTwoFactor"]["edit"]["authenticator"]["name"] == "Blue key"
    assert (await remove(app, token, key_id))["error"] is None
    # The credential goes with its authenticator: the same key may be set up again.
    assert not await SecurityKey.exists()
    removed = [m for m in await app.mails_to(ada, 3) if "removed" in m.part("text/plain")]
    assert removed and "(Security key)" in removed[0].part("text/plain")
    started = (await start(app, token, "Again"))["setup"]
    assert started["securityKey"]["creationOptions"]["excludeCredentials"] == []
    assert (await submit(app, token, started["id"], key.create(started["securityKey"]["creationOptions"])))[
        "error"
    ] is None


LOGIN_ON_DEVICE = """
mutation($email: String!, $password: String!, $device: String) {
  login(email: $email, password: $password, deviceToken: $device) { token deviceToken session { nextStep } }
}"""


async def test_a_stranger_making_the_user_wait_does_not_stop_the_owners_device(app: Harness, ada: str) -> None:
    await enable_keys()
    await create_user(ada)

    async def login_on(device: str | None) -> dict[str, Any]:
        body = await app.gql(LOGIN_ON_DEVICE, {"email": ada, "password": PASSWORD, "device": device})
        payload: dict[str, Any] = body["data"]["login"]
        return payload

    first = await login_on(None)
    owner_device = first["deviceToken"]
    key = SoftKey()
    await add_key(app, first["token"], key)
    # The owner's device passes a second factor once: it counts wrong answers on its own from now on.
    owner = await login_on(owner_device)
    assert (await verify(app, owner["token"], key.get((await options(app, owner["token"]))["requestOptions"])))[
        "error"
    ] is None
    # A stranger with the password, on other devices, answers wrong until the user must wait.
    answers: list[str] = []
    while len(answers) < USER_FAILURES_BEFORE_WAIT + 1:
        stranger = (await login_on(None))["token"]
        request = (await options(app, stranger))["requestOptions"]
        for _ in range(ATTEMPTS_PER_VERIFICATION):
            refused = await verify(app, stranger, key.get(request, origin="https://evil.example"))
            answers.append(refused["error"]["code"])
            if refused["error"]["code"] != "INVALID_CODE" or len(answers) > USER_FAILURES_BEFORE_WAIT:
                break
    assert answers[-1] == "RATE_LIMITED"
    # The owner's device still signs in with the key.
    again = await login_on(owner_device)
    passed = await verify(app, again["token"], key.get((await options(app, again["token"]))["requestOptions"]))
    assert passed["error"] is None and passed["session"]["nextStep"] == "DONE"


async def test_a_challenge_replaced_after_it_was_read_cannot_be_claimed(app: Harness, ada: str) -> None:
    key = SoftKey()
    _, pending = await user_with_key(app, ada, key)
    await options(app, pending)
    read = await WebAuthnChallenge.get(session_id__isnull=False)
    await options(app, pending)  # a parallel request replaces it
    assert not await claim_challenge(read.id, read.challenge, now())
    replaced = await WebAuthnChallenge.get(id=read.id)
    assert replaced.challenge != read.challenge and replaced.used_at is None
    assert await claim_challenge(replaced.id, replaced.challenge, now())
    assert not await claim_challenge(replaced.id, replaced.challenge, now())


async def test_an_administrators_reset_removes_the_keys_and_their_challenges(app: Harness, ada: str) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    await options(app, pending)
    _, token = await signed_in(app, "other-" + ada)
    await start(app, token)  # another user's set-up and challenge stay
    _, admin = await admin_token(app)
    reset = await app.gql(RESET, {"id": str(user_id)}, token=admin)
    assert reset["data"]["admin"]["resetUserTwoFactor"]["error"] is None
    assert not await SecurityKey.filter(authenticator__user_id=user_id).exists()
    assert not await WebAuthnChallenge.filter(user_id=user_id).exists()
    assert await WebAuthnChallenge.exclude(user_id=user_id).count() == 1
    # The key can be registered again, by its owner or anyone.
    assert not await credential_registered(key.id)


async def test_a_reset_between_the_claim_and_the_sign_in_leaves_nothing_signed_in(
    app: Harness, ada: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SoftKey()
    user_id, pending = await user_with_key(app, ada, key)
    request = (await options(app, pending))["requestOptions"]
    _, admin = await admin_token(app)

    async def then_reset(**kwargs: Any) -> Any:
        used = await key_signed_in(**kwargs)
        # The answer's challenge is claimed; an administrator's reset commits before the sign-in is written.
        reset = await app.gql(RESET, {"id": str(user_id)}, token=admin)
        assert reset["data"]["admin"]["resetUserTwoFactor"]["error"] is None
        return used

    monkeypatch.setattr(security_keys, "key_signed_in", then_reset)
    body = await app.gql(VERIFY_KEY, {"credential": key.get(request)}, token=pending)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
    assert not await Session.filter(user_id=user_id).exists()
    # The device the answer came from proved nothing that outlived the reset.
    assert not await KnownDevice.filter(user_id=user_id, second_factor_at__isnull=False).exists()


async def test_key_mutations_need_a_password_first(app: Harness, ada: str) -> None:
    await enable_keys()
    for document, name in ((KEY_OPTIONS, "securityKeyOptions"), (VERIFY_KEY, "verifyLoginWithSecurityKey")):
        body = await app.gql(document, {"credential": SoftKey().get({"challenge": "AAAA", "rpId": RP_ID})})
        assert body["data"] is None and body["errors"][0]["path"] == [name], body
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_key_set_up_turned_off_midway_registers_nothing(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    setup = (await start(app, token))["setup"]
    await enable_keys(False)
    refused = await submit(app, token, setup["id"], SoftKey().create(setup["securityKey"]["creationOptions"]))
    assert refused["error"]["code"] == "METHOD_DISABLED"
    assert not await SecurityKey.exists()
    assert await WebAuthnChallenge.filter(used_at__isnull=True).count() == 1


async def test_a_suspended_key_is_removed_like_any_authenticator(app: Harness, ada: str) -> None:
    await enable_keys()
    _, token = await signed_in(app, ada)
    key = SoftKey()
    key_id = (await add_key(app, token, key))["authenticator"]["id"]
    await SecurityKey.filter(credential_id=key.id).update(suspended_at=now())
    # Still the user's factor (2FA stays on), shown as suspended, and removable.
    assert (await remove(app, token, key_id))["error"] is None
    assert not await SecurityKey.exists() and not await Authenticator.exists()
