"""Managing authenticators (issue #3): rename, remove with a fresh factor, recovery codes,
security notices, audit rows, and who may call what."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from datetime import timedelta
from typing import Any

from helpers import (
    MY_TWO_FACTOR,
    REMOVE,
    SET_UP_EMAIL,
    SUBMIT,
    Harness,
    add_app,
    create_user,
    login,
    names,
    remove,
    signed_in,
    signed_in_again,
)

from twofactor.models import AuditEvent, Authenticator, OutboxMessage, Policy, RecoveryCode, Session, User
from twofactor.security import tokens, totp
from twofactor.security.rules import TOTP_PERIOD_SECONDS, USER_FAILURES_BEFORE_WAIT
from twofactor.server.context import now

BOB = "bob@example.test"
HOSTILE = "<script>alert(1)</script>"


SQL_NAME = "'; DROP TABLE authenticators;--"

EDIT = """
mutation($id: ID!, $name: String!) { myTwoFactor { edit(id: $id, name: $name) {
  authenticator { id name method email }
  error { code message field }
} } }"""


REGENERATE = """
mutation { myTwoFactor { regenerateRecoveryCodes { recoveryCodes error { code message } } } }"""


async def edit(app: Harness, token: str | None, authenticator_id: str, name: str) -> dict[str, Any]:
    body = await app.gql(EDIT, {"id": authenticator_id, "name": name}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["edit"]
    return payload


async def regenerate(app: Harness, token: str) -> dict[str, Any]:
    body = await app.gql(REGENERATE, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["regenerateRecoveryCodes"]
    return payload


async def mine(app: Harness, token: str) -> dict[str, Any]:
    body = await app.gql(MY_TWO_FACTOR, token=token)
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["myTwoFactor"]
    return page


async def proved_ago(app: Harness, token: str, minutes_past_window: float) -> None:
    """Move the session's last second factor to `minutes_past_window` around the fresh window."""
    moment = now() - app.settings.fresh_factor_window - timedelta(minutes=minutes_past_window)
    changed = await Session.filter(token_hash=tokens.token_hash(token)).update(second_factor_at=moment)
    assert changed == 1


async def stale(app: Harness, token: str) -> None:
    await proved_ago(app, token, 1)


def wrong_totp(secret: str, step: int) -> str:
    """Six digits that are no code of this secret anywhere near `step`."""
    near = {totp.code_at(secret, s) for s in range(step - 3, step + 4)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in near)


def graphql_error_code(body: dict[str, Any]) -> str:
    assert body.get("data") is None, body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


# Security notices


async def test_adding_and_removing_mail_security_notices(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    result, _, _ = await add_app(app, token, "Phone")
    added = (await app.mails_to(ada))[0]
    assert added.message["Subject"] == "An authenticator was added to your account"
    assert '"Phone"' in added.part("text/plain")

    removed = await remove(app, token, result["authenticator"]["id"])
    assert removed["error"] is None, removed
    notice = (await app.mails_to(ada, 2))[1]
    assert notice.message["Subject"] == "An authenticator was removed from your account"
    assert '"Phone"' in notice.part("text/plain")
    assert {m.recipient for m in await OutboxMessage.all()} == {ada}


# Edit


async def test_rename_is_trimmed_and_normalized(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    result, _, _ = await add_app(app, token, "Phone")
    authenticator_id = result["authenticator"]["id"]

    decomposed = "  Cafe\u0301 phone \t"
    renamed = await edit(app, token, authenticator_id, decomposed)
    assert renamed["error"] is None, renamed
    assert renamed["authenticator"]["id"] == authenticator_id
    assert renamed["authenticator"]["name"] == "Caf\u00e9 phone"
    assert unicodedata.is_normalized("NFC", renamed["authenticator"]["name"])
    assert await names(user.id) == ["Caf\u00e9 phone"]
    assert [a["name"] for a in (await mine(app, token))["authenticators"]] == ["Caf\u00e9 phone"]

    # 64 characters is the limit, and a name may change only in case.
    assert (await edit(app, token, authenticator_id, "y" * 64))["authenticator"]["name"] == "y" * 64
    assert (await edit(app, token, authenticator_id, "Phone"))["error"] is None
    assert (await edit(app, token, authenticator_id, "PHONE"))["authenticator"]["name"] == "PHONE"
    # Emoji are fine.
    assert (await edit(app, token, authenticator_id, "Phone \U0001f4f1"))["authenticator"]["name"] == "Phone \U0001f4f1"


BAD_NAMES = {
    "empty": "",
    "whitespace only": " \t  ",
    "65 characters": "x" * 65,
    "10 kB": "x" * 10_240,
    "right-to-left override": "Phone\u202egnp.exe",
    "NUL": "Pho\x00ne",
    "zero-width space": "Pho\u200bne",
    "newline": "Pho\nne",
}


async def test_rename_refuses_bad_names_and_keeps_the_old_one(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    result, _, _ = await add_app(app, token, "Phone")
    authenticator_id = result["authenticator"]["id"]
    for label, bad in BAD_NAMES.items():
        refused = await edit(app, token, authenticator_id, bad)
        assert refused["authenticator"] is None, label
        assert refused["error"]["code"] == "INVALID_INPUT", label
        assert refused["error"]["field"] == "name", label
    assert await names(user.id) == ["Phone"]
    assert await AuditEvent.filter(action="authenticator.renamed").count() == 0


async def test_names_are_unique_per_user_ignoring_case(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")

    for taken in ("Phone", "  PHONE ", "phone"):
        refused = await edit(app, token, laptop["authenticator"]["id"], taken)
        assert refused["authenticator"] is None
        assert refused["error"]["code"] == "NAME_TAKEN"
        assert refused["error"]["field"] == "name"
    assert await names(user.id) == ["Phone", "Laptop"]
    # Set-ups are held to it too.
    body = await app.gql(SET_UP_EMAIL, {"name": "pHoNe"}, token=token)
    assert body["data"]["myTwoFactor"]["setUpEmail"]["error"]["code"] == "NAME_TAKEN"

    # Another user may use the same name.
    _, bob_token = await signed_in(app, BOB)
    bobs, _, _ = await add_app(app, bob_token, "Work")
    assert (await edit(app, bob_token, bobs["authenticator"]["id"], "Phone"))["error"] is None


async def test_markup_and_sql_in_names_are_plain_data(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    result, _, _ = await add_app(app, token, "Phone")
    authenticator_id = result["authenticator"]["id"]

    for name in (HOSTILE, '"><img src=x onerror=alert(1)>', SQL_NAME, "' OR '1'='1"):
        renamed = await edit(app, token, authenticator_id, name)
        assert renamed["error"] is None, renamed
        assert renamed["authenticator"]["name"] == name
        assert [a["name"] for a in (await mine(app, token))["authenticators"]] == [name]
        assert await names(user.id) == [name]
    # The table is still there, with its one row.
    assert await Authenticator.all().count() == 1

    # The removal notice escapes the name in HTML.
    await edit(app, token, authenticator_id, HOSTILE)
    assert (await remove(app, token, authenticator_id))["error"] is None
    notice = next(m for m in await app.mails_to(ada, 2) if "removed" in m.message["Subject"])
    assert HOSTILE in notice.part("text/plain")
    assert "&lt;script&gt;" in notice.part("text/html")
    assert "<script>" not in notice.part("text/html")


UNKNOWN_IDS = ("999999", "abc", "-1", "", "1.0", "1e3", "\uff11", "9" * 40)


async def test_other_users_and_unknown_ids_are_not_found(app: Harness, ada: str) -> None:
    bob = await create_user(BOB, name="Bob")
    bob_token = (await login(app, BOB))["token"]
    bobs, _, _ = await add_app(app, bob_token, "Bob's phone")
    bob_id = bobs["authenticator"]["id"]

    _, token = await signed_in(app, ada)
    await add_app(app, token, "Phone")
    for authenticator_id in (bob_id, *UNKNOWN_IDS):
        renamed = await edit(app, token, authenticator_id, "Mine now")
        assert renamed["authenticator"] is None
        assert renamed["error"]["code"] == "NOT_FOUND", authenticator_id
        removed = await remove(app, token, authenticator_id)
        assert removed["removedId"] is None
        assert removed["error"]["code"] == "NOT_FOUND", authenticator_id
    assert await names(bob.id) == ["Bob's phone"]
    assert await AuditEvent.filter(action__in=("authenticator.renamed", "authenticator.removed")).count() == 0


# Remove


async def test_remove_within_the_fresh_window_needs_no_code(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")
    # Still fresh a minute before the window ends.
    await proved_ago(app, token, -1)

    removed = await remove(app, token, laptop["authenticator"]["id"])
    assert removed["error"] is None, removed
    assert removed["removedId"] == laptop["authenticator"]["id"]
    assert await names(user.id) == ["Phone"]
    page = await mine(app, token)
    assert [a["name"] for a in page["authenticators"]] == ["Phone"]
    # Not the last one: the recovery codes stay.
    assert page["recoveryCodesRemaining"] == 10


async def test_stale_session_needs_a_current_code(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    result, secret, step = await add_app(app, token, "Phone")
    authenticator_id = result["authenticator"]["id"]
    await stale(app, token)

    needs = await remove(app, token, authenticator_id)
    assert needs["removedId"] is None
    assert needs["error"]["code"] == "FRESH_CODE_REQUIRED"
    assert needs["error"]["field"] == "code"
    for junk in ("abcdef", wrong_totp(secret, step), "12345", "' OR '1'='1"):
        refused = await remove(app, token, authenticator_id, junk)
        assert refused["removedId"] is None
        assert refused["error"]["code"] == "INVALID_CODE", junk
    # The set-up's own code may not be used again: it says so, and costs no try.
    failures = (await User.get(id=user.id)).failed_verifications
    used = await remove(app, token, authenticator_id, totp.code_at(secret, step))
    assert used["removedId"] is None
    assert (used["error"]["code"], used["error"]["field"]) == ("CODE_ALREADY_USED", "code")
    assert 0 < used["error"]["retryAfterSeconds"] <= 2 * TOTP_PERIOD_SECONDS
    assert (await User.get(id=user.id)).failed_verifications == failures
    assert await names(user.id) == ["Phone"]
    assert (await mine(app, token))["recoveryCodesRemaining"] == 10

    removed = await remove(app, token, authenticator_id, totp.code_at(secret, step + 1))
    assert removed["error"] is None, removed
    assert removed["removedId"] == authenticator_id
    assert await names(user.id) == []


async def test_a_removal_code_of_the_wrong_shape_costs_no_try(app: Harness, ada: str) -> None:
    # As at sign-in and set-up: a code that is neither 6 digits nor a recovery code is not
    # checked, so more of them than make a user wait leave the right code working.
    user, token = await signed_in(app, ada)
    result, secret, step = await add_app(app, token, "Phone")
    authenticator_id = result["authenticator"]["id"]
    await stale(app, token)
    junk = ("abcdef", "12345", "1234567", "' OR '1'='1", "", "\uff11\uff12\uff13\uff14\uff15\uff16")
    for n in range(USER_FAILURES_BEFORE_WAIT + 1):
        refused = await remove(app, token, authenticator_id, junk[n % len(junk)])
        assert refused["error"]["code"] == "INVALID_CODE", refused
        assert refused["error"]["attemptsLeft"] is None
    assert (await User.get(id=user.id)).failed_verifications == 0
    removed = await remove(app, token, authenticator_id, totp.code_at(secret, step + 1))
    assert removed["error"] is None, removed


async def test_remove_with_a_recovery_code(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    first, secret, step = await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")
    recovery = first["recoveryCodes"]
    # Another device: the session that was shown the codes may not confirm with them.
    token = await signed_in_again(app, ada, first["authenticator"]["id"], secret, step)
    await stale(app, token)

    removed = await remove(app, token, laptop["authenticator"]["id"], recovery[0])
    assert removed["error"] is None, removed
    assert await names(user.id) == ["Phone"]
    assert (await mine(app, token))["recoveryCodesRemaining"] == 9

    # Each recovery code works once.
    await stale(app, token)
    again = await remove(app, token, first["authenticator"]["id"], recovery[0])
    assert again["error"]["code"] == "INVALID_CODE"
    assert await names(user.id) == ["Phone"]


async def test_last_authenticator_stays_while_mandatory(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")
    await Policy.current()
    await Policy.filter().update(mandatory=True)
    Policy.forget_cached()

    # One of two may go.
    assert (await remove(app, token, laptop["authenticator"]["id"]))["error"] is None
    refused = await remove(app, token, phone["authenticator"]["id"])
    assert refused["removedId"] is None
    assert refused["error"]["code"] == "LAST_AUTHENTICATOR_REQUIRED"
    # Even with a current code.
    await stale(app, token)
    with_code = await remove(app, token, phone["authenticator"]["id"], totp.code_at(secret, step + 1))
    assert with_code["error"]["code"] == "LAST_AUTHENTICATOR_REQUIRED"
    assert await names(user.id) == ["Phone"]
    page = await mine(app, token)
    assert page["enabled"] is True and page["recoveryCodesRemaining"] == 10


async def test_removing_the_last_authenticator_removes_the_recovery_codes(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    result, _, _ = await add_app(app, token, "Phone")
    assert await RecoveryCode.filter(user_id=user.id).count() == 10

    assert (await remove(app, token, result["authenticator"]["id"]))["error"] is None
    page = await mine(app, token)
    assert page["enabled"] is False
    assert page["authenticators"] == []
    assert page["recoveryCodesRemaining"] == 0
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    # And the recovery codes cannot bring anything back: regenerating needs an authenticator.
    assert (await regenerate(app, token))["recoveryCodes"] is None


# Recovery codes


async def test_regenerate_recovery_codes_replaces_the_old_set(app: Harness, ada: str) -> None:
    user, first_token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, first_token, "Phone")
    laptop, _, _ = await add_app(app, first_token, "Laptop")
    old = phone["recoveryCodes"]
    assert laptop["recoveryCodes"] is None  # shown only with the first authenticator
    token = await signed_in_again(app, ada, phone["authenticator"]["id"], secret, step)
    await stale(app, token)
    assert (await remove(app, token, laptop["authenticator"]["id"], old[0]))["error"] is None
    assert (await mine(app, token))["recoveryCodesRemaining"] == 9
    before = await app.mails_to(ada, 4)  # two "added", "a recovery code was used", "removed"
    assert "A recovery code was used on your account" in [m.message["Subject"] for m in before]

    result = await regenerate(app, token)  # fresh: the removal's recovery code proved a factor
    assert result["error"] is None, result
    new = result["recoveryCodes"]
    assert len(new) == 10 and len(set(new)) == 10
    assert not set(new) & set(old)
    assert (await mine(app, token))["recoveryCodesRemaining"] == 10
    assert await RecoveryCode.filter(user_id=user.id).count() == 10
    notice = (await app.mails_to(ada, 5))[4]
    assert notice.message["Subject"] == "New recovery codes were generated for your account"
    assert not any(code in notice.part("text/plain") for code in new)

    await stale(app, token)
    refused = await remove(app, token, phone["authenticator"]["id"], old[1])
    assert refused["error"]["code"] == "INVALID_CODE"
    assert await names(user.id) == ["Phone"]
    # The new set confirms from a session that was not shown it.
    await stale(app, first_token)
    removed = await remove(app, first_token, phone["authenticator"]["id"], new[0])
    assert removed["error"] is None, removed
    assert await names(user.id) == []


# Audit


async def test_audit_rows_for_rename_and_remove_hold_no_secret(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    laptop, laptop_secret, laptop_step = await add_app(app, token, "Laptop")
    email_setup = (await app.gql(SET_UP_EMAIL, {"name": "Mail"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    code_mail = next(m for m in await app.mails_to(ada, 3) if m.message["Subject"].startswith("Confirm your new"))
    email_code = next(w for w in code_mail.part("text/plain").split() if w.isdigit() and len(w) == 6)
    body = await app.gql(SUBMIT, {"id": email_setup["setup"]["id"], "code": email_code}, token=token)
    mail = body["data"]["myTwoFactor"]["submitCode"]
    assert mail["error"] is None, mail
    recovery = phone["recoveryCodes"]
    elsewhere = await signed_in_again(app, ada, laptop["authenticator"]["id"], laptop_secret, laptop_step)
    # Encrypted, but still not for the audit log.
    ciphertexts = {a.secret_encrypted for a in await Authenticator.filter(user_id=user.id) if a.secret_encrypted}
    assert len(ciphertexts) == 2

    assert (await edit(app, token, laptop["authenticator"]["id"], "Old laptop"))["error"] is None
    await stale(app, token)
    junk = wrong_totp(secret, step)
    assert (await remove(app, token, laptop["authenticator"]["id"], junk))["error"]["code"] == "INVALID_CODE"
    used_totp = totp.code_at(secret, step + 1)
    assert (await remove(app, token, laptop["authenticator"]["id"], used_totp))["error"] is None
    await stale(app, elsewhere)
    assert (await remove(app, elsewhere, mail["authenticator"]["id"], recovery[0]))["error"] is None
    regenerated = (await regenerate(app, elsewhere))["recoveryCodes"]

    renamed = await AuditEvent.filter(action="authenticator.renamed")
    assert len(renamed) == 1
    assert renamed[0].actor_id == user.id and renamed[0].target_id == user.id
    assert renamed[0].ip == "203.0.113.7"
    assert renamed[0].details["old_name"] == "Laptop" and renamed[0].details["new_name"] == "Old laptop"
    removed = await AuditEvent.filter(action="authenticator.removed").order_by("id")
    assert [(r.details["name"], r.actor_id, r.target_id) for r in removed] == [
        ("Old laptop", user.id, user.id),
        ("Mail", user.id, user.id),
    ]
    assert all(r.ip == "203.0.113.7" and r.created_at is not None for r in removed)
    assert await AuditEvent.filter(action="recovery_codes.regenerated").count() == 1

    secrets_seen = {
        secret,
        laptop_secret,
        token,
        tokens.token_hash(token),
        elsewhere,
        tokens.token_hash(elsewhere),
        email_code,
        junk,
        used_totp,
        totp.code_at(secret, step),
        totp.code_at(laptop_secret, laptop_step),
        *recovery,
        *(c.replace("-", "") for c in recovery),
        *regenerated,
        *(c.replace("-", "") for c in regenerated),
        *ciphertexts,
    }
    rows = await AuditEvent.all()
    assert len(rows) > 10
    for row in rows:
        text = json.dumps([row.action, row.details, row.user_agent, row.ip])
        leaked = [s for s in secrets_seen if s in text]
        assert not leaked, (row.action, leaked)


# Who may call


async def test_a_sign_in_at_the_challenge_cannot_manage(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    result, _, _ = await add_app(app, token, "Phone")
    authenticator_id = result["authenticator"]["id"]

    challenge = await login(app, ada)
    assert challenge["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    pending = challenge["token"]
    edit_body = await app.gql(EDIT, {"id": authenticator_id, "name": "Stolen"}, token=pending)
    assert graphql_error_code(edit_body) == "FORBIDDEN"
    remove_body = await app.gql(REMOVE, {"id": authenticator_id, "code": None}, token=pending)
    assert graphql_error_code(remove_body) == "FORBIDDEN"
    assert graphql_error_code(await app.gql(REGENERATE, token=pending)) == "FORBIDDEN"

    for anonymous in (None, "not-a-real-token"):
        assert graphql_error_code(await app.gql(EDIT, {"id": authenticator_id, "name": "x"}, token=anonymous)) == (
            "UNAUTHENTICATED"
        )
        assert graphql_error_code(await app.gql(REMOVE, {"id": authenticator_id}, token=anonymous)) == (
            "UNAUTHENTICATED"
        )
        assert graphql_error_code(await app.gql(REGENERATE, token=anonymous)) == "UNAUTHENTICATED"

    assert await names(user.id) == ["Phone"]
    assert await RecoveryCode.filter(user_id=user.id).count() == 10
    assert await AuditEvent.filter(action__in=("authenticator.renamed", "authenticator.removed")).count() == 0


async def test_a_set_up_only_sign_in_cannot_manage(app: Harness, ada: str) -> None:
    await create_user(ada)
    await Policy.current()
    await Policy.filter().update(mandatory=True)
    Policy.forget_cached()
    setting_up = await login(app, ada)
    assert setting_up["session"]["nextStep"] == "TWO_FACTOR_SETUP"
    body = await app.gql(EDIT, {"id": "1", "name": "x"}, token=setting_up["token"])
    assert graphql_error_code(body) == "FORBIDDEN"
    assert graphql_error_code(await app.gql(REMOVE, {"id": "1"}, token=setting_up["token"])) == "FORBIDDEN"


async def test_parallel_removals_cannot_remove_the_last_authenticator_while_mandatory(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, _, _ = await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")
    await Policy.current()
    await Policy.filter().update(mandatory=True)
    Policy.forget_cached()

    results = await asyncio.gather(
        *(remove(app, token, a["authenticator"]["id"]) for a in (phone, laptop, phone, laptop))
    )
    removed = {r["removedId"] for r in results if r["error"] is None}
    assert len(removed) == 1, results
    assert {r["error"]["code"] for r in results if r["error"] is not None} <= {
        "LAST_AUTHENTICATOR_REQUIRED",
        "NOT_FOUND",
    }
    assert len(await names(user.id)) == 1
    assert (await mine(app, token))["recoveryCodesRemaining"] == 10


async def test_parallel_removals_of_every_authenticator_also_remove_the_recovery_codes(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, _, _ = await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")

    results = await asyncio.gather(*(remove(app, token, a["authenticator"]["id"]) for a in (phone, laptop)))
    assert all(r["error"] is None for r in results), results
    assert await names(user.id) == []
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    assert (await mine(app, token))["recoveryCodesRemaining"] == 0
