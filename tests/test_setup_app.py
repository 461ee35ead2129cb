"""Issue #3, authenticator app: set-up over GraphQL, its QR codes, code checks, attempts, replay and races."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from helpers import (
    MY_TWO_FACTOR,
    SET_UP_APP,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    create_user,
    login,
    secret_of,
    signed_in,
)
from PIL import Image
from starlette.requests import HTTPConnection
from test_hardening import holding, lock_waiters
from test_query_counts import counting
from test_security_core import b32_key, hotp_reference, svg_to_image, totp_reference

from twofactor.models import (
    AuditEvent,
    Authenticator,
    OutboxMessage,
    Policy,
    RecoveryCode,
    Session,
    Setup,
    SetupStatus,
    User,
)
from twofactor.resolvers import code_checks
from twofactor.resolvers.code_checks import recovery_digest, secret_context
from twofactor.resolvers.complete_setup import finish_setup
from twofactor.security import codes, qr, totp
from twofactor.security.keyring import DecryptionError, Keyring
from twofactor.security.rules import ATTEMPTS_PER_VERIFICATION
from twofactor.server.context import RequestContext, now

SETUP_QUERY = """
query($id: ID!) { myTwoFactor { setup(id: $id) {
  id method status attemptsLeft expiresAt app { setupKey otpauthUri qrCodeSvg qrCodePng digits period }
} } }"""

CANCEL = """
mutation($id: ID!) { myTwoFactor { cancelSetup(setupId: $id) {
  setup { id status app { setupKey } } error { code message field }
} } }"""

LOGOUT = "mutation { logout { ok } }"

# A real user's email, so that the account in the URI is checked, not just "present".
EMAIL = "ada@example.test"


# --- helpers ---


async def start_app_setup(app: Harness, token: str) -> dict[str, Any]:
    body = await app.gql(SET_UP_APP, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["setUpApp"]
    assert payload["error"] is None, payload
    setup: dict[str, Any] = payload["setup"]
    return setup


async def submit(app: Harness, token: str, setup_id: str, code: Any, name: str | None = "Phone") -> dict[str, Any]:
    body = await app.gql(SUBMIT, {"id": setup_id, "code": code, "name": name}, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["myTwoFactor"]["submitCode"]
    return result


async def read_setup(app: Harness, token: str, setup_id: str) -> dict[str, Any] | None:
    body = await app.gql(SETUP_QUERY, {"id": setup_id}, token=token)
    assert "errors" not in body, body
    found: dict[str, Any] | None = body["data"]["myTwoFactor"]["setup"]
    return found


def current_code(setup_key: str, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or `offset_steps` away), by the test's own TOTP."""
    return totp_reference(b32_key(setup_key), time.time() + 30 * offset_steps)


def wrong_code(setup_key: str) -> str:
    """A well-formed code that matches no step anywhere near now."""
    key = b32_key(setup_key)
    step = int(time.time() // 30)
    near = {hotp_reference(key, step + offset) for offset in range(-3, 4)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555", "999999") if c not in near)


def assert_refused(payload: dict[str, Any], code: str, field: str | None = None) -> dict[str, Any]:
    """The payload carries `error` with `code`, and every data field is null (the contract's convention)."""
    error: dict[str, Any] | None = payload["error"]
    assert error is not None, payload
    assert error["code"] == code, payload
    assert error["message"]
    if field is not None:
        assert error["field"] == field, payload
    data = {k: v for k, v in payload.items() if k != "error"}
    assert data
    assert all(v is None for v in data.values()), payload
    return error


async def all_rows_text() -> str:
    """Every column of every row of every table, as one text (what a database dump would show)."""
    parts: list[str] = []
    for model in (Setup, Authenticator, RecoveryCode, Session, User, AuditEvent, OutboxMessage, Policy):
        rows = await model._meta.db.execute_query_dict(f"SELECT * FROM {model._meta.db_table}")
        parts.extend(repr(row) for row in rows)
    return "\n".join(parts)


# --- set-up details and QR codes ---


async def test_set_up_app_details(app: Harness) -> None:
    _, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    assert setup["method"] == "APP"
    assert setup["status"] == "PENDING"
    assert setup["attemptsLeft"] == 5
    details = setup["app"]
    assert (details["digits"], details["period"]) == (6, 30)
    secret = details["setupKey"].replace(" ", "")
    assert len(b32_key(secret)) == 20  # 160 bits

    uri = urlsplit(details["otpauthUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Help Center:{EMAIL}"
    query = {k: v[0] for k, v in parse_qs(uri.query, strict_parsing=True).items()}
    assert query == {"secret": secret, "issuer": "Help Center", "algorithm": "SHA1", "digits": "6", "period": "30"}

    # The owner may read the pending set-up again, with the same secret.
    again = await read_setup(app, token, setup["id"])
    assert again is not None
    assert again["app"]["setupKey"] == details["setupKey"]
    assert again["app"]["otpauthUri"] == details["otpauthUri"]

    # Each set-up has its own secret.
    other = await start_app_setup(app, token)
    assert other["app"]["setupKey"] != details["setupKey"]


async def test_qr_codes_decode_to_the_otpauth_uri(app: Harness) -> None:
    _, token = await signed_in(app, EMAIL)
    details = (await start_app_setup(app, token))["app"]
    uri = details["otpauthUri"]

    prefix = "data:image/png;base64,"
    assert details["qrCodePng"].startswith(prefix)
    png = Image.open(io.BytesIO(base64.b64decode(details["qrCodePng"].removeprefix(prefix), validate=True)))
    assert png.format == "PNG"
    from_png = zxingcpp.read_barcodes(png.convert("L"))
    assert [(r.format, r.text) for r in from_png] == [(zxingcpp.BarcodeFormat.QRCode, uri)]

    svg = details["qrCodeSvg"]
    assert svg.lstrip().startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert svg.rstrip().endswith("</svg>")
    from_svg = zxingcpp.read_barcodes(svg_to_image(svg))
    assert [(r.format, r.text) for r in from_svg] == [(zxingcpp.BarcodeFormat.QRCode, uri)]


SET_UP_APP_SVG_ONLY = """
mutation { myTwoFactor { setUpApp { setup { id app { otpauthUri qrCodeSvg } } error { code } } } }"""

SETUP_QR = """
query($id: ID!) { myTwoFactor { setup(id: $id) { app { %s } } } }"""


async def test_qr_formats_are_rendered_only_when_selected_and_once_per_setup(app: Harness) -> None:
    """A client asking for one format pays for one; a set-up read again does not render again."""
    _, token = await signed_in(app, EMAIL)
    before = dict(qr.RENDERS)

    def rendered() -> tuple[int, int]:
        return qr.RENDERS["svg"] - before.get("svg", 0), qr.RENDERS["png"] - before.get("png", 0)

    def encoded() -> int:
        return qr.RENDERS["symbol"] - before.get("symbol", 0)

    body = await app.gql(SET_UP_APP_SVG_ONLY, token=token)
    setup = body["data"]["myTwoFactor"]["setUpApp"]["setup"]
    assert setup["app"]["qrCodeSvg"].lstrip().startswith("<svg")
    assert rendered() == (1, 0)

    async def read(fields: str) -> dict[str, Any]:
        found = await app.gql(SETUP_QR % fields, {"id": setup["id"]}, token=token)
        assert "errors" not in found, found
        details: dict[str, Any] = found["data"]["myTwoFactor"]["setup"]["app"]
        return details

    assert (await read("otpauthUri setupKey"))["otpauthUri"] == setup["app"]["otpauthUri"]
    assert rendered() == (1, 0)
    assert (await read("qrCodeSvg"))["qrCodeSvg"] == setup["app"]["qrCodeSvg"]
    assert rendered() == (1, 0)
    png = (await read("qrCodePng"))["qrCodePng"]
    assert png.startswith("data:image/png;base64,")
    assert rendered() == (1, 1)
    assert (await read("qrCodeSvg qrCodePng"))["qrCodePng"] == png
    assert rendered() == (1, 1)
    assert encoded() == 1  # both formats of a set-up come from one encoding of its symbol

    # Another set-up has its own images.
    other = await app.gql(SET_UP_APP_SVG_ONLY, token=token)
    assert other["data"]["myTwoFactor"]["setUpApp"]["setup"]["app"]["qrCodeSvg"] != setup["app"]["qrCodeSvg"]
    assert rendered() == (2, 1)
    assert encoded() == 2


# --- the secret at rest ---


async def test_secret_is_stored_only_as_ciphertext(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    secret = setup["app"]["setupKey"].replace(" ", "")

    rows = await Setup._meta.db.execute_query_dict("SELECT * FROM setups")
    assert len(rows) == 1
    stored = rows[0]["secret_encrypted"]
    assert stored and stored.startswith("v1:")
    dump = await all_rows_text()
    for plain in (secret, setup["app"]["setupKey"], secret.lower(), "otpauth://"):
        assert plain not in dump
    # It is the secret, encrypted for this user under the configured key.
    assert Keyring(app.settings.secret_keys).decrypt(stored, secret_context(user.id)) == secret

    result = await submit(app, token, setup["id"], current_code(secret))
    assert result["error"] is None, result
    row = await Authenticator.get(id=int(result["authenticator"]["id"]))
    assert row.secret_encrypted and row.secret_encrypted.startswith("v1:")
    assert Keyring(app.settings.secret_keys).decrypt(row.secret_encrypted, secret_context(user.id)) == secret
    # Another key reads nothing: fail closed.
    try:
        Keyring(["some-other-key-" + "x" * 40]).decrypt(row.secret_encrypted, secret_context(user.id))
    except DecryptionError:
        pass
    else:
        raise AssertionError("a foreign key decrypted the secret")
    dump = await all_rows_text()
    assert secret not in dump
    assert setup["app"]["setupKey"] not in dump
    assert "otpauth://" not in dump


# --- submitting the code ---


async def test_code_from_independent_totp_creates_authenticator(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    result = await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"]), name="  Pixel  ")
    assert result["error"] is None, result
    authenticator = result["authenticator"]
    assert authenticator["name"] == "Pixel"
    assert authenticator["method"] == "APP"
    assert authenticator["email"] is None
    assert result["message"] == "Two-factor authentication is set up."
    assert result["setup"]["status"] == "VERIFIED"
    assert result["setup"]["app"] is None

    # Finished: "still in progress, else null" (the contract), and its secret is gone.
    assert await read_setup(app, token, setup["id"]) is None
    row = await Setup.get(id=uuid.UUID(setup["id"]))
    assert row.secret_encrypted is None
    assert row.code_digest is None

    page = (await app.gql(MY_TWO_FACTOR, token=token))["data"]["myTwoFactor"]
    assert page["enabled"] is True
    assert [a["name"] for a in page["authenticators"]] == ["Pixel"]
    assert page["recoveryCodesRemaining"] == 10
    assert await Authenticator.filter(user_id=user.id).count() == 1


async def test_the_set_up_writes_its_audit_row_and_notice_with_the_authenticator(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    result = await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"]))
    assert result["error"] is None, result
    (event,) = await AuditEvent.filter(action="authenticator.added")
    assert (event.actor_id, event.target_id) == (user.id, user.id)
    assert event.details == {
        "authenticator_id": int(result["authenticator"]["id"]),
        "method": "APP",
        "setup_id": setup["id"],
    }
    (notice,) = await OutboxMessage.filter(kind="authenticator_added")
    assert (notice.user_id, notice.recipient) == (user.id, EMAIL)


async def test_name_is_nfc_normalized(app: Harness) -> None:
    _, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    result = await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"]), name="Caf" + "e\u0301")
    assert result["error"] is None, result
    assert result["authenticator"]["name"] == "Caf\u00e9"
    assert (await Authenticator.get(id=int(result["authenticator"]["id"]))).name == "Caf\u00e9"


async def test_wrong_codes_lock_the_setup(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    key = setup["app"]["setupKey"]
    for left in (4, 3, 2, 1):
        error = assert_refused(await submit(app, token, setup["id"], wrong_code(key)), "INVALID_CODE", "code")
        assert error["attemptsLeft"] == left
        seen = await read_setup(app, token, setup["id"])
        assert seen is not None
        assert (seen["status"], seen["attemptsLeft"]) == ("PENDING", left)
    error = assert_refused(await submit(app, token, setup["id"], wrong_code(key)), "TOO_MANY_ATTEMPTS")
    assert error["attemptsLeft"] == 0
    # Locked: even the right code is refused now.
    assert_refused(await submit(app, token, setup["id"], current_code(key)), "TOO_MANY_ATTEMPTS")
    assert await read_setup(app, token, setup["id"]) is None
    assert (await Setup.get(id=uuid.UUID(setup["id"]))).status == "LOCKED"
    assert await Authenticator.filter(user_id=user.id).count() == 0
    assert (await Setup.get(id=uuid.UUID(setup["id"]))).failed_attempts == 5


async def make_wait(user: User) -> None:
    """Ten failures in a row, as parallel requests would have left them: the user waits 5 minutes."""
    blocked = now() + timedelta(minutes=5)
    await User.filter(id=user.id).update(failed_verifications=10, verification_blocked_until=blocked)


async def test_a_right_code_spends_no_try_and_ends_the_failures_in_a_row(app: Harness) -> None:
    """A right code while a try is left is applied without counting one: the set-up keeps the
    count its wrong codes left, and the user's failures in a row end."""
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    key = setup["app"]["setupKey"]
    for _ in range(4):
        assert_refused(await submit(app, token, setup["id"], wrong_code(key)), "INVALID_CODE", "code")
    assert (await User.get(id=user.id)).failed_verifications == 4
    assert (await submit(app, token, setup["id"], current_code(key)))["error"] is None
    row = await Setup.get(id=uuid.UUID(setup["id"]))
    assert (row.status, row.failed_attempts) == (SetupStatus.VERIFIED, 4)
    assert (await User.get(id=user.id)).failed_verifications == 0


async def test_a_right_code_from_a_user_who_must_wait_is_refused_and_counts_nothing(app: Harness) -> None:
    """Waiting after ten failures in a row holds for right codes too; the set-up keeps its tries."""
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    key = setup["app"]["setupKey"]
    await make_wait(user)
    error = assert_refused(await submit(app, token, setup["id"], current_code(key)), "RATE_LIMITED")
    assert 0 < error["retryAfterSeconds"] <= 300
    row = await Setup.get(id=uuid.UUID(setup["id"]))
    assert (row.status, row.failed_attempts) == (SetupStatus.PENDING, 0)
    assert (await User.get(id=user.id)).failed_verifications == 10
    assert await Authenticator.filter(user_id=user.id).count() == 0
    # Once the wait is over, the same set-up takes the code.
    await User.filter(id=user.id).update(verification_blocked_until=now() - timedelta(seconds=1))
    assert (await submit(app, token, setup["id"], current_code(key)))["error"] is None
    assert (await User.get(id=user.id)).failed_verifications == 0


async def test_a_user_who_must_wait_gets_the_same_statements_for_a_right_and_a_wrong_code(app: Harness) -> None:
    """Nothing tells a waiting user's right code from a wrong one, not even the work it takes."""
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    key = setup["app"]["setupKey"]
    await make_wait(user)
    # The wait's first refusal writes its audit row; the two compared are later ones.
    assert_refused(await submit(app, token, setup["id"], wrong_code(key)), "RATE_LIMITED")
    runs = []
    for code in (current_code(key), wrong_code(key)):
        with counting() as statements:
            assert_refused(await submit(app, token, setup["id"], code), "RATE_LIMITED")
        # The SQL of each statement, without its values.
        runs.append([statement.partition(": [")[0] for statement in statements if 'FROM "policy"' not in statement])
    assert runs[0] == runs[1]
    assert len(runs[0]) >= 3


@pytest.mark.postgres_only
async def test_a_right_code_waiting_for_its_set_up_while_the_last_try_goes_is_refused(app: Harness) -> None:
    """End to end: a right code's writes wait for the set-up's row, which a wrong code's request
    holds; that one takes the last try and locks the set-up. The right code then takes its try
    like any other and is refused, with nothing written."""
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    await Setup.filter(id=uuid.UUID(setup["id"])).update(failed_attempts=ATTEMPTS_PER_VERIFICATION - 1)
    set_up_row = 'SELECT 1 FROM "setups" WHERE "id" = $1 FOR UPDATE'
    async with holding(app, set_up_row, uuid.UUID(setup["id"])) as (hold, watcher, holder):
        right = asyncio.create_task(submit(app, token, setup["id"], current_code(setup["app"]["setupKey"])))
        await lock_waiters(watcher, 1)
        await holder.execute(
            'UPDATE "setups" SET "failed_attempts" = $1, "status" = $2 WHERE "id" = $3',
            ATTEMPTS_PER_VERIFICATION,
            str(SetupStatus.LOCKED),
            uuid.UUID(setup["id"]),
        )
        await hold.commit()
        payload = await right
    assert_refused(payload, "TOO_MANY_ATTEMPTS")
    row = await Setup.get(id=uuid.UUID(setup["id"]))
    assert (row.status, row.failed_attempts) == (SetupStatus.LOCKED, ATTEMPTS_PER_VERIFICATION)
    assert await Authenticator.filter(user_id=user.id).count() == 0
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    assert (await User.get(id=user.id)).failed_verifications == 0


def _request_context(app: Harness, session: Session) -> RequestContext:
    """A resolver's context for `session`, as `get_context` builds it for an HTTP request."""
    connection = HTTPConnection({"type": "http", "headers": [], "client": ("127.0.0.1", 1)})
    context = RequestContext(app.app.state.services, connection, None, ip="127.0.0.1", user_agent="tests")
    context.session, context.user, context.factors_read = session, session.user, ([], 0)
    return context


@pytest.mark.parametrize("changed", ["tries spent", "user waits"])
async def test_a_right_code_that_finds_its_rows_changed_writes_nothing(app: Harness, changed: str) -> None:
    """The checks a right code's uncounted try relies on hold in its writes: with the set-up or
    the user changed since they were read, the whole transaction is undone (the request then
    takes its try like any other)."""
    user, token = await signed_in(app, EMAIL)
    started = await start_app_setup(app, token)
    session = await Session.get(user_id=user.id).prefetch_related("user")
    setup = await Setup.get(id=uuid.UUID(started["id"]))
    step = totp.current_step()
    assert totp.matching_step(secret_of(started), totp.code_at(secret_of(started), step)) == step
    # Read as open with tries left and the user not waiting; then parallel requests changed them.
    if changed == "tries spent":
        # A wrong code's request took the last try and has not locked the set-up yet.
        await Setup.filter(id=setup.id).update(failed_attempts=ATTEMPTS_PER_VERIFICATION)
    else:
        await make_wait(user)
    assert code_checks.try_left_as_read(setup.failed_attempts, session.user)
    context = _request_context(app, session)
    made = await finish_setup(
        context, session, session.user, setup, name="Phone", step=step, policy=await Policy.current(), counted=False
    )
    assert made is None
    row = await Setup.get(id=setup.id)
    assert (row.status, row.version) == (SetupStatus.PENDING, setup.version)
    assert row.secret_encrypted is not None
    assert await Authenticator.filter(user_id=user.id).count() == 0
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    assert await AuditEvent.filter(action="authenticator.added").count() == 0
    assert await OutboxMessage.filter(kind="authenticator_added").count() == 0
    assert (await User.get(id=user.id)).failed_verifications == (0 if changed == "tries spent" else 10)


async def test_malformed_codes_are_refused_without_using_an_attempt(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    for bad in (
        "12345",
        "1234567",
        "\u0660\u0661\u0662\u0663\u0664\u0665",
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        "' OR 1=1",
        "' OR '1'='1",
        "true",
        "",
        "abcdef",
    ):
        assert_refused(await submit(app, token, setup["id"], bad), "INVALID_INPUT", "code")
    # Not a string at all: the request is refused by GraphQL before any resolver runs.
    for not_a_string in (123456, True, None, ["123456"]):
        body = await app.gql(SUBMIT, {"id": setup["id"], "code": not_a_string, "name": "Phone"}, token=token)
        assert body.get("data") is None
        assert body["errors"]
    seen = await read_setup(app, token, setup["id"])
    assert seen is not None
    assert (seen["status"], seen["attemptsLeft"]) == ("PENDING", 5)
    assert (await Setup.get(id=uuid.UUID(setup["id"]))).failed_attempts == 0
    assert (await User.get(id=user.id)).failed_verifications == 0
    # And the right code still works.
    assert (await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"])))["error"] is None


async def test_missing_or_bad_name_creates_nothing(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    code = current_code(setup["app"]["setupKey"])
    assert_refused(await submit(app, token, setup["id"], code, name=None), "INVALID_INPUT", "name")
    for bad in ("", "   ", "Phone\u202eenohp", "Ph\u200bone", "Pho\x00ne", "Pho\nne", "x" * 65, "x" * 10_000):
        assert_refused(await submit(app, token, setup["id"], code, name=bad), "INVALID_INPUT", "name")
    assert await Authenticator.filter(user_id=user.id).count() == 0
    seen = await read_setup(app, token, setup["id"])
    assert seen is not None
    assert (seen["status"], seen["attemptsLeft"]) == ("PENDING", 5)
    assert (await submit(app, token, setup["id"], code, name="x" * 64))["error"] is None


async def test_duplicate_name_ignoring_case(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    first = await start_app_setup(app, token)
    assert (await submit(app, token, first["id"], current_code(first["app"]["setupKey"]), name="Phone"))[
        "error"
    ] is None
    second = await start_app_setup(app, token)
    code = current_code(second["app"]["setupKey"])
    for clash in ("phone", "PHONE", " Phone "):
        assert_refused(await submit(app, token, second["id"], code, name=clash), "NAME_TAKEN", "name")
    assert [a.name for a in await Authenticator.filter(user_id=user.id)] == ["Phone"]
    seen = await read_setup(app, token, second["id"])
    assert seen is not None
    assert (seen["status"], seen["attemptsLeft"]) == ("PENDING", 5)

    # Another name works; recovery codes came with the first authenticator only.
    digests_before = sorted(r.code_digest for r in await RecoveryCode.filter(user_id=user.id))
    result = await submit(app, token, second["id"], code, name="Phone 2")
    assert result["error"] is None, result
    assert result["recoveryCodes"] is None
    assert result["message"] == "The authenticator was added."
    assert sorted(r.code_digest for r in await RecoveryCode.filter(user_id=user.id)) == digests_before
    assert len(digests_before) == 10


async def test_recovery_codes_once_and_hashed(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    result = await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"]))
    assert result["error"] is None, result
    recovery = result["recoveryCodes"]
    assert len(recovery) == 10
    assert len(set(recovery)) == 10
    assert all(codes.normalize_recovery_code(c) for c in recovery)

    rows = await RecoveryCode.filter(user_id=user.id)
    assert len(rows) == 10
    dump = await all_rows_text()
    for plain in recovery:
        assert plain not in dump
        assert plain.replace("-", "") not in dump
    for row in rows:
        assert len(row.code_digest) == 64
        int(row.code_digest, 16)
    assert (await app.gql(MY_TWO_FACTOR, token=token))["data"]["myTwoFactor"]["recoveryCodesRemaining"] == 10
    # Once: the next authenticator comes with none, and the set stays.
    second = await start_app_setup(app, token)
    added = await submit(app, token, second["id"], current_code(second["app"]["setupKey"]), name="Tablet")
    assert added["error"] is None and added["recoveryCodes"] is None, added
    assert {row.code_digest for row in await RecoveryCode.filter(user_id=user.id)} == {r.code_digest for r in rows}


async def test_another_users_setup_is_not_found(app: Harness) -> None:
    _, token_a = await signed_in(app, EMAIL)
    _, token_b = await signed_in(app, "bob@example.test")
    setup = await start_app_setup(app, token_a)
    code = current_code(setup["app"]["setupKey"])
    assert_refused(await submit(app, token_b, setup["id"], code), "NOT_FOUND", "setupId")
    body = await app.gql(CANCEL, {"id": setup["id"]}, token=token_b)
    assert_refused(body["data"]["myTwoFactor"]["cancelSetup"], "NOT_FOUND", "setupId")
    assert await read_setup(app, token_b, setup["id"]) is None
    for junk in ("not-a-uuid", "1", str(uuid.uuid4()), "' OR 1=1 --"):
        assert_refused(await submit(app, token_b, junk, code), "NOT_FOUND", "setupId")
        assert await read_setup(app, token_b, junk) is None
    assert await Authenticator.all().count() == 0
    # The owner's set-up is untouched and still works.
    seen = await read_setup(app, token_a, setup["id"])
    assert seen is not None
    assert (seen["status"], seen["attemptsLeft"]) == ("PENDING", 5)
    assert (await submit(app, token_a, setup["id"], code))["error"] is None


async def test_cancelled_setup_refuses_the_code(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    body = await app.gql(CANCEL, {"id": setup["id"]}, token=token)
    cancelled = body["data"]["myTwoFactor"]["cancelSetup"]
    assert cancelled["error"] is None
    assert cancelled["setup"]["status"] == "CANCELLED"
    assert cancelled["setup"]["app"] is None
    assert (await Setup.get(id=uuid.UUID(setup["id"]))).secret_encrypted is None
    result = await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"]))
    assert result["error"] is not None
    assert result["error"]["code"] in ("NOT_FOUND", "CODE_EXPIRED")
    assert_refused(result, result["error"]["code"])
    assert await Authenticator.filter(user_id=user.id).count() == 0
    assert await read_setup(app, token, setup["id"]) is None
    assert (await Setup.get(id=uuid.UUID(setup["id"]))).status == "CANCELLED"


async def test_expired_setup(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    row = await Setup.get(id=uuid.UUID(setup["id"]))
    row.expires_at = row.expires_at - timedelta(minutes=11)
    await row.save(update_fields=["expires_at"])
    assert_refused(await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"])), "CODE_EXPIRED")
    assert await Authenticator.filter(user_id=user.id).count() == 0
    assert await read_setup(app, token, setup["id"]) is None
    assert (await Setup.get(id=uuid.UUID(setup["id"]))).status == "EXPIRED"


async def test_method_disabled(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    pending = await start_app_setup(app, token)
    policy = await Policy.current()
    policy.app_enabled = False
    await policy.save()

    body = await app.gql(SET_UP_APP, token=token)
    assert_refused(body["data"]["myTwoFactor"]["setUpApp"], "METHOD_DISABLED")
    assert await Setup.filter(user_id=user.id).count() == 1
    # A set-up started before the change cannot be finished either.
    assert_refused(await submit(app, token, pending["id"], current_code(pending["app"]["setupKey"])), "METHOD_DISABLED")
    assert await Authenticator.filter(user_id=user.id).count() == 0
    page = (await app.gql(MY_TWO_FACTOR, token=token))["data"]["myTwoFactor"]
    assert page["availableMethods"] == ["EMAIL"]


# --- replay ---


async def test_setup_code_cannot_be_replayed_at_sign_in(app: Harness) -> None:
    _, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    key = b32_key(setup["app"]["setupKey"])
    step = int(time.time() // 30)
    code = hotp_reference(key, step)
    result = await submit(app, token, setup["id"], code)
    assert result["error"] is None, result
    authenticator_id = result["authenticator"]["id"]
    assert (await app.gql(LOGOUT, token=token))["data"]["logout"]["ok"] is True

    challenge = await login(app, EMAIL)
    assert challenge["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    assert [a["id"] for a in challenge["authenticators"]] == [authenticator_id]
    pending_token = challenge["token"]

    replay = (await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": code}, token=pending_token))["data"]
    assert_refused(replay["verifyLogin"], "CODE_ALREADY_USED")
    next_code = hotp_reference(key, step + 1)
    assert next_code != code
    done = (await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": next_code}, token=pending_token))["data"]
    assert done["verifyLogin"]["error"] is None, done
    assert done["verifyLogin"]["session"]["nextStep"] == "DONE"
    # And that one cannot be used again either (the step only moves forward).
    await app.gql(LOGOUT, token=pending_token)
    again = await login(app, EMAIL)
    for used in (code, next_code):
        body = await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": used}, token=again["token"])
        assert_refused(body["data"]["verifyLogin"], "CODE_ALREADY_USED")


# --- races ---


async def _submit_at_once(app: Harness, token: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each submitCode (its variables) in its own request and client, at once; their payloads."""
    clients = [app.client(token) for _ in requests]
    try:
        responses = await asyncio.gather(
            *(
                client.post("/graphql", json={"query": SUBMIT, "variables": variables})
                for client, variables in zip(clients, requests, strict=True)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    payloads = []
    for response in responses:
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        payloads.append(body["data"]["myTwoFactor"]["submitCode"])
    return payloads


def _right_code(setup: dict[str, Any], name: str) -> dict[str, Any]:
    """submitCode's variables for a set-up, with its current code."""
    return {"id": setup["id"], "code": current_code(setup["app"]["setupKey"]), "name": name}


async def _parallel_submits(app: Harness, token: str, setup_id: str, codes_to_send: list[str]) -> list[dict[str, Any]]:
    """Every code at once; each with its own name, so no unique index can hide a race."""
    requests = [{"id": setup_id, "code": c, "name": f"Phone {n}"} for n, c in enumerate(codes_to_send)]
    return await _submit_at_once(app, token, requests)


async def test_parallel_right_codes_create_one_authenticator(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    code = current_code(setup["app"]["setupKey"])
    payloads = await _parallel_submits(app, token, setup["id"], [code] * 10)
    wins = [p for p in payloads if p["error"] is None]
    assert len(wins) == 1, payloads
    assert wins[0]["authenticator"]["name"].startswith("Phone ")
    assert len(wins[0]["recoveryCodes"]) == 10
    for lost in payloads:
        if lost["error"] is not None:
            assert_refused(lost, lost["error"]["code"])
            assert lost["error"]["code"] in ("NOT_FOUND", "TOO_MANY_ATTEMPTS", "RATE_LIMITED", "NAME_TAKEN"), lost
    assert await Authenticator.filter(user_id=user.id).count() == 1
    assert await RecoveryCode.filter(user_id=user.id).count() == 10
    assert (await Setup.get(id=uuid.UUID(setup["id"]))).status == SetupStatus.VERIFIED


async def _stored_recovery_codes(app: Harness, user_id: int, shown: list[str]) -> bool:
    """Whether the codes shown are exactly the user's stored ones."""
    keyring = app.app.state.services.keyring
    stored = {row.code_digest for row in await RecoveryCode.filter(user_id=user_id)}
    return stored == {recovery_digest(keyring, user_id, code) for code in shown}


async def test_two_set_ups_finished_at_once_make_one_first_factor(app: Harness) -> None:
    """Each request sees the other's authenticator or none, never both none: one is the first
    factor (the recovery codes it shows are the stored ones), the other is added to it."""
    user, token = await signed_in(app, EMAIL)
    setups = [await start_app_setup(app, token) for _ in range(2)]
    requests = [_right_code(s, f"Phone {n}") for n, s in enumerate(setups)]
    payloads = await _submit_at_once(app, token, requests)
    assert [p["error"] for p in payloads] == [None, None], payloads
    first = [p for p in payloads if p["recoveryCodes"] is not None]
    added = [p for p in payloads if p["recoveryCodes"] is None]
    assert len(first) == 1 and len(added) == 1, payloads
    assert first[0]["message"] == "Two-factor authentication is set up."
    assert added[0]["message"] == "The authenticator was added."
    assert await Authenticator.filter(user_id=user.id).count() == 2
    assert await _stored_recovery_codes(app, user.id, first[0]["recoveryCodes"])


async def test_a_name_taken_meanwhile_leaves_the_set_up_open(app: Harness) -> None:
    """Two set-ups finished at once under one name: the unique index refuses the second inside
    its transaction, which then writes nothing (its set-up stays open for another name)."""
    user, token = await signed_in(app, EMAIL)
    setups = [await start_app_setup(app, token) for _ in range(2)]
    requests = [_right_code(s, "Phone") for s in setups]
    payloads = await _submit_at_once(app, token, requests)
    won = [n for n, p in enumerate(payloads) if p["error"] is None]
    assert len(won) == 1, payloads
    lost = 1 - won[0]
    assert_refused(payloads[lost], "NAME_TAKEN", "name")
    assert [a.name for a in await Authenticator.filter(user_id=user.id)] == ["Phone"]
    assert await RecoveryCode.filter(user_id=user.id).count() == 10
    assert await AuditEvent.filter(action="authenticator.added").count() == 1
    assert await OutboxMessage.filter(kind="authenticator_added").count() == 1
    assert (await Setup.get(id=uuid.UUID(setups[lost]["id"]))).status != SetupStatus.VERIFIED
    assert (await User.get(id=user.id)).failed_verifications == 0
    # The refused one's set-up still takes a code, under another name.
    retried = await submit(app, token, setups[lost]["id"], current_code(setups[lost]["app"]["setupKey"]), "Tablet")
    assert retried["error"] is None, retried


@pytest.mark.postgres_only
async def test_a_factor_removed_while_its_user_sets_up_another_makes_it_the_first(app: Harness) -> None:
    """PostgreSQL makes the recovery codes before its one statement when the session's read says
    the user has no authenticator. Here it says one, which is gone by the time the set-up commits."""
    user, token = await signed_in(app, EMAIL)
    phone = await start_app_setup(app, token)
    assert (await submit(app, token, phone["id"], current_code(phone["app"]["setupKey"])))["error"] is None
    laptop = await start_app_setup(app, token)

    # The request reads the session (one authenticator), then waits for the user's row.
    user_row = 'SELECT 1 FROM "users" WHERE "id" = $1 FOR UPDATE'
    async with holding(app, user_row, user.id) as (hold, watcher, holder):
        code = current_code(laptop["app"]["setupKey"])
        request = asyncio.create_task(
            app.gql(SUBMIT, {"id": laptop["id"], "code": code, "name": "Laptop"}, token=token)
        )
        await lock_waiters(watcher, 1)
        await holder.execute('DELETE FROM "recovery_codes" WHERE "user_id" = $1', user.id)
        await holder.execute('DELETE FROM "authenticators" WHERE "user_id" = $1', user.id)
        await hold.commit()
        body = await request

    result = body["data"]["myTwoFactor"]["submitCode"]
    assert result["error"] is None, result
    assert result["message"] == "Two-factor authentication is set up."
    assert len(result["recoveryCodes"]) == 10
    assert await _stored_recovery_codes(app, user.id, result["recoveryCodes"])
    assert [a.name for a in await Authenticator.filter(user_id=user.id)] == ["Laptop"]


async def test_parallel_wrong_codes_count_once_at_the_limit(app: Harness) -> None:
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    wrong = wrong_code(setup["app"]["setupKey"])
    for left in (4, 3, 2, 1):
        error = assert_refused(await submit(app, token, setup["id"], wrong), "INVALID_CODE")
        assert error["attemptsLeft"] == left
    payloads = await _parallel_submits(app, token, setup["id"], [wrong] * 20)
    for payload in payloads:
        assert_refused(payload, payload["error"]["code"])
        assert payload["error"]["code"] in ("TOO_MANY_ATTEMPTS", "RATE_LIMITED"), payload
    # Exactly one request took the last try (and locked the set-up).
    assert sum(1 for p in payloads if p["error"]["attemptsLeft"] == 0) == 1, payloads
    row = await Setup.get(id=uuid.UUID(setup["id"]))
    assert row.failed_attempts == 5
    assert row.status == SetupStatus.LOCKED
    assert await Authenticator.filter(user_id=user.id).count() == 0
    assert_refused(await submit(app, token, setup["id"], current_code(setup["app"]["setupKey"])), "TOO_MANY_ATTEMPTS")


# --- who may set up ---


async def test_set_up_app_needs_a_session(app: Harness) -> None:
    await create_user(EMAIL)
    body = await app.gql(SET_UP_APP)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Setup.all().count() == 0


async def test_a_completed_set_up_shows_its_secret_no_more(app: Harness) -> None:
    """DESIGN: a setup key, QR code or otpauth URI is returned only while its set-up is pending."""
    _, token = await signed_in(app, EMAIL)
    setup = (await app.gql(SET_UP_APP, token=token))["data"]["myTwoFactor"]["setUpApp"]["setup"]
    pending = await app.gql(SETUP_QUERY, {"id": setup["id"]}, token=token)
    assert pending["data"]["myTwoFactor"]["setup"]["app"]["setupKey"] == setup["app"]["setupKey"]
    secret = secret_of(setup)
    variables = {"id": setup["id"], "code": totp.code_at(secret, totp.current_step()), "name": "Phone"}
    done = (await app.gql(SUBMIT, variables, token=token))["data"]["myTwoFactor"]["submitCode"]
    assert done["error"] is None, done
    assert done["setup"] is None or done["setup"]["app"] is None, done
    after = await app.gql(SETUP_QUERY, {"id": setup["id"]}, token=token)
    assert "errors" not in after, after
    assert after["data"]["myTwoFactor"]["setup"] is None
    text = json.dumps(after) + json.dumps(done)
    assert secret not in text and setup["app"]["otpauthUri"] not in text


async def test_a_locked_set_up_shows_its_secret_no_more(app: Harness) -> None:
    """DESIGN: a setup key is returned only while its set-up is pending. A locked set-up's
    secret stays stored (a wrong code only locks it), so its view is what hides it."""
    _, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)
    key = setup["app"]["setupKey"]
    for _ in range(ATTEMPTS_PER_VERIFICATION):
        assert (await submit(app, token, setup["id"], wrong_code(key)))["error"] is not None
    cancelled = (await app.gql(CANCEL, {"id": setup["id"]}, token=token))["data"]["myTwoFactor"]["cancelSetup"]
    assert cancelled["error"] is None, cancelled
    assert cancelled["setup"]["status"] == "LOCKED"
    assert cancelled["setup"]["app"] is None


async def test_a_set_up_removed_while_it_is_cancelled_is_not_found(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An administrator's reset removes set-ups: one gone before the answer is read again is NOT_FOUND."""
    user, token = await signed_in(app, EMAIL)
    setup = await start_app_setup(app, token)

    async def removed_first(setup_id: uuid.UUID) -> bool:
        await Setup.filter(id=setup_id).delete()
        return False

    monkeypatch.setattr("twofactor.resolvers.setups.cancel_open_setup", removed_first)
    body = await app.gql(CANCEL, {"id": setup["id"]}, token=token)
    assert "errors" not in body, body
    assert_refused(body["data"]["myTwoFactor"]["cancelSetup"], "NOT_FOUND", "setupId")
    assert await Setup.filter(user_id=user.id).count() == 0


async def test_a_set_up_removed_while_its_code_is_resent_is_refused_with_an_answer(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An administrator's reset removes set-ups: one gone before the resend's answer is read again
    is NOT_FOUND (the resend went) or CODE_EXPIRED (it did not), not an unexpected error."""
    set_up_email = "mutation($name: String!) { myTwoFactor { setUpEmail(name: $name) { setup { id } } } }"
    resend = """mutation($id: ID!) { myTwoFactor { resendCode(setupId: $id) {
      setup { id } error { code message field } } } }"""
    user, token = await signed_in(app, EMAIL)
    for went, answer in ((True, "NOT_FOUND"), (False, "CODE_EXPIRED")):
        started = await app.gql(set_up_email, {"name": f"Mail {answer}"}, token=token)
        setup_id = started["data"]["myTwoFactor"]["setUpEmail"]["setup"]["id"]
        await Setup.filter(user_id=user.id).update(resend_available_at=now() - timedelta(seconds=1))

        async def removed_meanwhile(setup_id: uuid.UUID, *, went: bool = went, **_: object) -> bool:
            await Setup.filter(id=setup_id).delete()
            return went

        monkeypatch.setattr("twofactor.resolvers.setups.resend_setup_code", removed_meanwhile)
        body = await app.gql(resend, {"id": setup_id}, token=token)
        assert "errors" not in body, body
        assert_refused(body["data"]["myTwoFactor"]["resendCode"], answer, "setupId")
        assert await Setup.filter(id=uuid.UUID(setup_id)).count() == 0
