"""Sessions follow the account (issue #14, items 1, 2 and 6): step-up proofs a session cannot
mint itself, sessions moved by the account's 2FA, the user's list of sessions, token rotation
at the challenge, and administrators' resets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from helpers import (
    MY_TWO_FACTOR,
    PASSWORD,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    add_app,
    create_user,
    login,
    names,
    remove,
    signed_in,
    signed_in_again,
)
from test_hardening import (
    SET_UP_APP_WITH_CODE,
    SETUP_SUBJECT,
    SIGN_IN_SUBJECT,
    allow_next_send,
    error_code,
    mail_code,
    make_mandatory,
    set_up_app,
    stale,
    wrong_totp,
)
from test_subscriptions import CHANGED, listening, refused_code, signed_socket

from twofactor.models import AuditEvent, OutboxMessage, RecoveryCode, Session, SessionState, User
from twofactor.resolvers.notices import user_channel
from twofactor.resolvers.sessions import device_label
from twofactor.security import tokens, totp
from twofactor.security.rules import PENDING_SESSION_LIFETIME, SESSION_SEEN_EVERY
from twofactor.server.context import SESSION_COOKIE, now

SESSION = "{ session { nextStep } }"

REGENERATE = """
mutation($code: String) { myTwoFactor { regenerateRecoveryCodes(code: $code) {
  recoveryCodes error { code message field } } } }"""

MY_SESSIONS = "{ mySessions { id device ip createdAt lastSeenAt current nextStep } }"

END_SESSION = "mutation($id: ID!) { endSession(id: $id) { endedIds error { code message field } } }"
END_OTHERS = "mutation { endOtherSessions { endedIds error { code message } } }"

VERIFY_RECOVERY = """
mutation($code: String!) { verifyLoginWithRecoveryCode(code: $code) {
  token session { nextStep } error { code message } } }"""

SEND_LOGIN_CODE = "mutation($id: ID!) { sendLoginCode(authenticatorId: $id) { expiresAt error { code } } }"

RESET = """
mutation($id: ID!, $code: String) { admin { resetUserTwoFactor(userId: $id, code: $code) {
  user { id } error { code message field } } } }"""

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


# Helpers


async def regenerate(app: Harness, token: str, code: str | None = None) -> dict[str, Any]:
    body = await app.gql(REGENERATE, {"code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["regenerateRecoveryCodes"]
    return payload


async def step_of(app: Harness, token: str) -> str | None:
    """The session's nextStep, or None when the token names no session."""
    session = (await app.gql(SESSION, token=token))["data"]["session"]
    return None if session is None else str(session["nextStep"])


async def row_of(token: str) -> Session | None:
    return await Session.get_or_none(token_hash=tokens.token_hash(token))


async def session_id(token: str) -> int:
    row = await row_of(token)
    assert row is not None, "the session was ended"
    return row.id


async def gql_as(app: Harness, user_agent: str, query: str, token: str | None = None) -> dict[str, Any]:
    """A request from a client that names itself with `user_agent`."""
    async with app.client(token) as client:
        client.headers["User-Agent"] = user_agent
        response = await client.post("/graphql", json={"query": query, "variables": {}})
    body: dict[str, Any] = response.json()
    return body


async def reset(app: Harness, token: str, user_id: int, code: str | None = None) -> dict[str, Any]:
    body = await app.gql(RESET, {"id": str(user_id), "code": code}, token=token)
    return body


# 1. No step-up proof a session can mint itself


async def test_regenerating_recovery_codes_needs_a_fresh_factor(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    first_set = set(phone["recoveryCodes"])
    await stale(app, token)

    for code in (None, wrong_totp(secret, step)):
        refused = await regenerate(app, token, code)
        assert refused["recoveryCodes"] is None
        assert refused["error"]["code"] == ("FRESH_CODE_REQUIRED" if code is None else "INVALID_CODE")
    assert {r.code_digest for r in await RecoveryCode.filter(user_id=user.id)} and not await AuditEvent.filter(
        action="recovery_codes.regenerated"
    ).exists()
    # A current code of the app does it.
    made = await regenerate(app, token, totp.code_at(secret, step + 1))
    assert made["error"] is None, made
    assert len(made["recoveryCodes"]) == 10 and not set(made["recoveryCodes"]) & first_set
    # Within the window no code is asked for.
    assert (await regenerate(app, token))["error"] is None


async def test_fields_that_check_a_fresh_code_count_as_code_checks(app: Harness, ada: str) -> None:
    # Aliases would otherwise try several guesses in one request.
    user, token = await signed_in(app, ada, admin=True)
    await add_app(app, token, "Phone")
    await stale(app, token)
    for document in (
        'mutation { myTwoFactor { a: regenerateRecoveryCodes(code: "111111") { recoveryCodes } '
        'b: regenerateRecoveryCodes(code: "222222") { recoveryCodes } } }',
        'mutation { admin { a: resetUserTwoFactor(userId: "1", code: "111111") { user { id } } '
        'b: resetUserTwoFactor(userId: "1", code: "222222") { user { id } } } }',
    ):
        body = await app.gql(document, token=token)
        assert body.get("data") is None, body
        assert "one code-checking" in body["errors"][0]["message"]
    assert (await User.get(id=user.id)).failed_verifications == 0


async def test_a_recovery_code_from_another_device_confirms_new_codes(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    other = await signed_in_again(app, ada, phone["authenticator"]["id"], secret, step)
    await stale(app, other)
    made = await regenerate(app, other, phone["recoveryCodes"][0])
    assert made["error"] is None, made
    assert await OutboxMessage.filter(kind="recovery_code_used", recipient=ada).count() == 1
    assert await RecoveryCode.filter(user_id=user.id, used_at__isnull=True).count() == 10


async def test_a_sessions_own_recovery_codes_never_confirm_its_changes(app: Harness, ada: str) -> None:
    # The review's chain from a session whose factor is older than the window: regenerate, set up
    # the attacker's app with one new code, remove the user's with another.
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    other = await signed_in_again(app, ada, phone["authenticator"]["id"], secret, step)
    minted = (await regenerate(app, other))["recoveryCodes"]
    assert minted is not None
    assert {r.minted_by_session_id for r in await RecoveryCode.filter(user_id=user.id)} == {await session_id(other)}
    await stale(app, other)

    assert (await regenerate(app, other, minted[0]))["error"]["code"] == "FRESH_CODE_REQUIRED"
    started = await set_up_app(app, other, minted[1])
    assert started["setup"] is None
    assert (started["error"]["code"], started["error"]["field"]) == ("FRESH_CODE_REQUIRED", "code")
    assert "authenticator" in started["error"]["message"]
    removed = await remove(app, other, phone["authenticator"]["id"], minted[2])
    assert removed["error"]["code"] == "FRESH_CODE_REQUIRED"
    assert await names(user.id) == ["Phone"]
    # None was spent, and the session is still stale.
    assert await RecoveryCode.filter(user_id=user.id, used_at__isnull=True).count() == 10
    row = await row_of(other)
    assert row is not None and row.second_factor_at is not None
    assert row.second_factor_at < now() - app.settings.fresh_factor_window
    refused = await AuditEvent.filter(action="session.factor_refresh_failed")
    assert [r.details["reason"] for r in refused] == ["own_recovery_code"] * 3

    # The codes are the user's backup all the same: another session may use them.
    await stale(app, token)
    assert (await remove(app, token, phone["authenticator"]["id"], minted[0]))["error"] is None
    assert await names(user.id) == []


async def test_codes_minted_at_a_first_set_up_are_that_sessions_own(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, _, _ = await add_app(app, token, "Phone")
    assert {r.minted_by_session_id for r in await RecoveryCode.filter(user_id=user.id)} == {await session_id(token)}
    await stale(app, token)
    for code in phone["recoveryCodes"][:2]:
        assert (await regenerate(app, token, code))["error"]["code"] == "FRESH_CODE_REQUIRED"
    body = await app.gql(SET_UP_APP_WITH_CODE, {"code": phone["recoveryCodes"][2]}, token=token)
    assert body["data"]["myTwoFactor"]["setUpApp"]["error"]["code"] == "FRESH_CODE_REQUIRED"


async def test_a_session_that_never_proved_a_factor_cannot_take_the_account_over(app: Harness, ada: str) -> None:
    # The review's chain: the attacker signed in with the password before the user turned 2FA on.
    user = await create_user(ada)
    attacker = (await login(app, ada))["token"]
    owner = (await login(app, ada))["token"]
    await add_app(app, owner, "Phone")

    assert await step_of(app, attacker) == "TWO_FACTOR_CHALLENGE"
    assert error_code(await app.gql(REGENERATE, {"code": None}, token=attacker)) == "FORBIDDEN"
    assert error_code(await app.gql(SET_UP_APP_WITH_CODE, {"code": None}, token=attacker)) == "FORBIDDEN"
    assert error_code(await app.gql(MY_TWO_FACTOR, token=attacker)) == "FORBIDDEN"
    assert await names(user.id) == ["Phone"]


# 2. Sessions follow the account


@pytest.mark.parametrize("wrong_code_first", [False, True])
async def test_a_first_factor_moves_the_users_unproved_sessions_to_the_challenge(
    app: Harness, ada: str, wrong_code_first: bool
) -> None:
    user = await create_user(ada)
    owner = (await login(app, ada))["token"]
    others = [(await login(app, ada))["token"] for _ in range(2)]
    _, bob = await signed_in(app, "bob@example.test")
    async with signed_socket(app, others[0]) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))

        # A wrong code first counts a try: the set-up then completes in a transaction on PostgreSQL.
        started = (await set_up_app(app, owner, None))["setup"]
        secret = started["app"]["setupKey"].replace(" ", "")
        step = totp.current_step()
        if wrong_code_first:
            wrong = {"id": started["id"], "code": wrong_totp(secret, step), "name": "Phone"}
            assert (await app.gql(SUBMIT, wrong, token=owner))["data"]["myTwoFactor"]["submitCode"]["error"]
        variables = {"id": started["id"], "code": totp.code_at(secret, step), "name": "Phone"}
        done = (await app.gql(SUBMIT, variables, token=owner))["data"]["myTwoFactor"]["submitCode"]
        assert done["error"] is None, done

        # The other sessions' subscriptions learn it and end.
        assert await socket.ended("c") in {"complete", "closed"}

    assert await step_of(app, owner) == "DONE"
    assert await step_of(app, bob) == "DONE"  # another user's session is not touched
    for other in others:
        assert await step_of(app, other) == "TWO_FACTOR_CHALLENGE"
        assert error_code(await app.gql(MY_TWO_FACTOR, token=other)) == "FORBIDDEN"
        row = await row_of(other)
        assert row is not None and row.state == SessionState.CHALLENGE and row.failed_attempts == 0
        assert row.expires_at <= now() + PENDING_SESSION_LIFETIME
    # The session learns what to answer the challenge with; passing it makes it full again, under a new token.
    listed = (await app.gql("{ session { nextStep authenticators { id name } } }", token=others[0]))["data"]
    # A generic label, as at sign-in: the password alone tells no names.
    assert listed["session"]["authenticators"] == [{"id": done["authenticator"]["id"], "name": "Authenticator app"}]
    authenticator_id = listed["session"]["authenticators"][0]["id"]
    passed = (await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": totp.code_at(secret, step + 1)}, others[0]))[
        "data"
    ]["verifyLogin"]
    assert passed["session"]["nextStep"] == "DONE"
    assert await step_of(app, passed["token"]) == "DONE"
    assert await step_of(app, others[0]) is None


async def test_a_legacy_full_session_that_never_proved_a_factor_owes_the_challenge(app: Harness, ada: str) -> None:
    # A session row written before this rule (full, no factor proved, the user has 2FA now) is read
    # as one at the challenge.
    user, token = await signed_in(app, ada)
    await add_app(app, token, "Phone")
    assert await Session.filter(token_hash=tokens.token_hash(token)).update(second_factor_at=None) == 1
    assert await step_of(app, token) == "TWO_FACTOR_CHALLENGE"
    assert error_code(await app.gql(MY_TWO_FACTOR, token=token)) == "FORBIDDEN"
    assert await names(user.id) == ["Phone"]


async def test_mandatory_2fa_makes_sessions_without_it_set_up_only_at_their_next_request(
    app: Harness, ada: str
) -> None:
    user, token = await signed_in(app, ada)
    _, admin = await signed_in(app, "admin@example.test", admin=True)
    _, other_admin = await signed_in(app, "root@example.test", admin=True)
    await add_app(app, other_admin, "Root's phone")
    assert await step_of(app, token) == "DONE"

    async with signed_socket(app, token) as socket:  # opened while the session was a full one
        await make_mandatory()
        # The socket reads the session afresh at each operation.
        await socket.subscribe("c", CHANGED)
        assert await refused_code(socket, "c") == "FORBIDDEN"
    assert await step_of(app, token) == "TWO_FACTOR_SETUP"
    page = (await app.gql(MY_TWO_FACTOR, token=token))["data"]["myTwoFactor"]
    assert page["setupRequired"] is True
    assert error_code(await app.gql(MY_SESSIONS, token=token)) == "FORBIDDEN"
    assert error_code(await app.gql(END_OTHERS, token=token)) == "FORBIDDEN"
    # Administrators included: no administration without 2FA.
    assert await step_of(app, admin) == "TWO_FACTOR_SETUP"
    assert error_code(await app.gql("{ admin { auditEvents { nextCursor } } }", token=admin)) == "FORBIDDEN"
    # Those who have 2FA keep their full session.
    assert await step_of(app, other_admin) == "DONE"
    assert "errors" not in await app.gql("{ admin { auditEvents { nextCursor } } }", token=other_admin)

    # Setting it up makes the session a full one.
    await add_app(app, token, "Phone")
    assert await step_of(app, token) == "DONE"
    assert await names(user.id) == ["Phone"]


async def test_removing_the_last_authenticator_ends_the_users_other_sessions(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")
    other = await signed_in_again(app, ada, phone["authenticator"]["id"], secret, step)
    _, bob = await signed_in(app, "bob@example.test")

    # One of two: nothing ends.
    assert (await remove(app, token, laptop["authenticator"]["id"]))["error"] is None
    assert await step_of(app, other) == "DONE"
    async with signed_socket(app, other) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        assert (await remove(app, token, phone["authenticator"]["id"]))["error"] is None
        assert await socket.ended("c") in {"complete", "closed"}
    assert await step_of(app, other) is None
    assert await step_of(app, token) == "DONE"
    assert await step_of(app, bob) == "DONE"
    removed = await AuditEvent.filter(action="authenticator.removed").order_by("id")
    assert [r.details.get("sessions_ended") for r in removed] == [None, 1]


# Token rotation


@pytest.mark.parametrize("how", ["app", "email", "recovery code"])
async def test_passing_the_challenge_changes_the_token(app: Harness, ada: str, how: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    challenged = (await login(app, ada))["token"]
    row_before = await row_of(challenged)
    assert row_before is not None

    async with app.client(challenged) as client:
        if how == "app":
            variables = {"id": phone["authenticator"]["id"], "code": totp.code_at(secret, step + 1)}
            response = await client.post("/graphql", json={"query": VERIFY_LOGIN, "variables": variables})
            passed = response.json()["data"]["verifyLogin"]
        elif how == "email":
            mail = await _add_email(app, token, user)
            await allow_next_send(user.id)
            sent = await app.gql(SEND_LOGIN_CODE, {"id": mail}, token=challenged)
            assert sent["data"]["sendLoginCode"]["error"] is None, sent
            code = await mail_code(app, ada, SIGN_IN_SUBJECT)
            variables = {"id": mail, "code": code}
            response = await client.post("/graphql", json={"query": VERIFY_LOGIN, "variables": variables})
            passed = response.json()["data"]["verifyLogin"]
        else:
            variables = {"code": phone["recoveryCodes"][0]}
            response = await client.post("/graphql", json={"query": VERIFY_RECOVERY, "variables": variables})
            passed = response.json()["data"]["verifyLoginWithRecoveryCode"]
    assert passed["error"] is None, passed
    new = passed["token"]
    assert new and new != challenged
    assert response.cookies.get(SESSION_COOKIE) == new
    # The password-only token is dead; the session (same row) goes on under the new one.
    assert await step_of(app, challenged) is None
    assert await step_of(app, new) == "DONE"
    row = await row_of(new)
    assert row is not None and row.id == row_before.id and row.token_hash == tokens.token_hash(new)


async def _add_email(app: Harness, token: str, user: User) -> str:
    """An EMAIL authenticator's id."""
    started = await app.gql(
        'mutation { myTwoFactor { setUpEmail(name: "Mail") { setup { id } error { code } } } }', token=token
    )
    setup_id = started["data"]["myTwoFactor"]["setUpEmail"]["setup"]["id"]
    code = await mail_code(app, user.email, SETUP_SUBJECT)
    created = (await app.gql(SUBMIT, {"id": setup_id, "code": code}, token=token))["data"]["myTwoFactor"]
    assert created["submitCode"]["error"] is None, created
    authenticator_id: str = created["submitCode"]["authenticator"]["id"]
    return authenticator_id


# The user's sessions


def test_device_labels_name_the_main_browsers_and_systems() -> None:
    chrome_windows = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    )
    edge = f"{chrome_windows} Edg/131.0"
    android = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Mobile Safari/537.36"
    )
    safari_mac = (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15"
    )
    assert device_label(FIREFOX_LINUX) == "Firefox on Linux"
    assert device_label(SAFARI_IPHONE) == "Safari on iOS"
    assert device_label(chrome_windows) == "Chrome on Windows"
    assert device_label(edge) == "Edge on Windows"
    assert device_label(android) == "Chrome on Android"
    assert device_label(safari_mac) == "Safari on macOS"
    assert device_label("curl/8.5.0") == "curl"
    assert device_label(None) == device_label("  ") == "Unknown device"


async def test_my_sessions_lists_every_device_of_the_user(app: Harness, ada: str) -> None:
    await create_user(ada)
    body = await gql_as(app, FIREFOX_LINUX, f'mutation {{ login(email: "{ada}", password: "{PASSWORD}") {{ token }} }}')
    laptop = body["data"]["login"]["token"]
    body = await gql_as(app, SAFARI_IPHONE, f'mutation {{ login(email: "{ada}", password: "{PASSWORD}") {{ token }} }}')
    phone = body["data"]["login"]["token"]
    await signed_in(app, "bob@example.test")

    listed = (await gql_as(app, FIREFOX_LINUX, MY_SESSIONS, laptop))["data"]["mySessions"]
    assert [(s["device"], s["current"], s["ip"], s["nextStep"]) for s in listed] == [
        ("Safari on iOS", False, "203.0.113.7", "DONE"),
        ("Firefox on Linux", True, "203.0.113.7", "DONE"),
    ]
    rows = {r.id: r for r in await Session.filter(user__email=ada)}
    for listed_session in listed:
        row = rows[int(listed_session["id"])]
        assert datetime.fromisoformat(listed_session["createdAt"]) == row.created_at
        assert datetime.fromisoformat(listed_session["lastSeenAt"]) >= row.created_at
    assert (await row_of(phone)) is not None
    assert error_code(await app.gql(MY_SESSIONS)) == "UNAUTHENTICATED"


async def test_last_seen_is_written_at_most_once_a_minute(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    # Just signed in: no write.
    await app.gql(SESSION, token=token)
    row = await row_of(token)
    assert row is not None and row.last_seen_at is None

    long_ago = now() - SESSION_SEEN_EVERY - timedelta(minutes=5)
    await Session.filter(id=row.id).update(created_at=long_ago)
    await app.gql(SESSION, token=token)
    seen = (await Session.get(id=row.id)).last_seen_at
    assert seen is not None and seen > now() - timedelta(minutes=1)

    # Within the minute nothing is written again.
    earlier = now() - SESSION_SEEN_EVERY / 2
    await Session.filter(id=row.id).update(last_seen_at=earlier)
    await app.gql(SESSION, token=token)
    assert (await Session.get(id=row.id)).last_seen_at == earlier
    listed = (await app.gql(MY_SESSIONS, token=token))["data"]["mySessions"]
    assert datetime.fromisoformat(listed[0]["lastSeenAt"]) == earlier


async def test_a_sign_in_challenge_records_last_seen_with_its_answer(app: Harness, ada: str) -> None:
    """A challenge session over a minute old: a wrong answer still records "last seen" (after its
    operation), and the answer that passes records it in the session's own update."""
    _, token = await signed_in(app, ada)
    payload, secret, step = await add_app(app, token)
    authenticator_id = payload["authenticator"]["id"]
    challenged = await login(app, ada)
    assert challenged["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    challenge = await row_of(challenged["token"])
    assert challenge is not None and challenge.last_seen_at is None
    long_ago = now() - SESSION_SEEN_EVERY - timedelta(minutes=5)
    await Session.filter(id=challenge.id).update(created_at=long_ago)

    variables = {"id": authenticator_id, "code": wrong_totp(secret, step)}
    wrong = (await app.gql(VERIFY_LOGIN, variables, token=challenged["token"]))["data"]["verifyLogin"]
    assert wrong["error"]["code"] == "INVALID_CODE", wrong
    first = (await Session.get(id=challenge.id)).last_seen_at
    assert first is not None and first > now() - timedelta(minutes=1)

    await Session.filter(id=challenge.id).update(last_seen_at=long_ago)
    variables = {"id": authenticator_id, "code": totp.code_at(secret, step + 1)}
    passed = (await app.gql(VERIFY_LOGIN, variables, token=challenged["token"]))["data"]["verifyLogin"]
    assert passed["error"] is None, passed
    row = await Session.get(id=challenge.id)
    assert row.state == SessionState.DONE and row.last_seen_at == row.second_factor_at
    assert row.last_seen_at is not None and row.last_seen_at > now() - timedelta(minutes=1)


async def test_ending_one_session_signs_that_device_out(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    other = (await login(app, ada))["token"]
    _, bob = await signed_in(app, "bob@example.test")
    other_id, bob_id, own_id = [await session_id(t) for t in (other, bob, token)]

    for unknown in (str(bob_id), "999999", "junk", str(2**40)):
        refused = (await app.gql(END_SESSION, {"id": unknown}, token=token))["data"]["endSession"]
        assert refused["error"]["code"] == "NOT_FOUND", unknown
    assert await step_of(app, bob) == "DONE"
    refused = (await app.gql(END_SESSION, {"id": str(own_id)}, token=token))["data"]["endSession"]
    assert refused["error"]["code"] == "INVALID_INPUT"
    assert error_code(await app.gql(END_SESSION, {"id": str(other_id)})) == "UNAUTHENTICATED"

    async with signed_socket(app, other) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        ended = (await app.gql(END_SESSION, {"id": str(other_id)}, token=token))["data"]["endSession"]
        assert ended == {"endedIds": [str(other_id)], "error": None}
        assert await socket.ended("c") in {"complete", "closed"}
    assert await step_of(app, other) is None
    assert await step_of(app, token) == "DONE"
    audited = await AuditEvent.filter(action="session.ended_by_user")
    assert [(r.actor_id, r.target_id, r.details) for r in audited] == [(user.id, user.id, {"session_id": other_id})]


async def test_ending_the_other_sessions_keeps_this_one(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    full = await signed_in_again(app, ada, phone["authenticator"]["id"], secret, step)
    challenged = (await login(app, ada))["token"]
    _, bob = await signed_in(app, "bob@example.test")
    # A sign-in still at the challenge cannot end anyone's sessions.
    assert error_code(await app.gql(END_OTHERS, token=challenged)) == "FORBIDDEN"

    async with signed_socket(app, full) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        ended = (await app.gql(END_OTHERS, token=token))["data"]["endOtherSessions"]
        assert ended["error"] is None
        assert len(ended["endedIds"]) == 2
        assert await socket.ended("c") in {"complete", "closed"}
    assert [await step_of(app, t) for t in (token, full, challenged, bob)] == ["DONE", None, None, "DONE"]
    audited = await AuditEvent.filter(action="session.ended_others")
    assert [r.details for r in audited] == [{"sessions_ended": 2}]


# 6. Administrators' resets


async def test_an_administrator_cannot_reset_their_own_2fa_through_the_api(app: Harness, ada: str) -> None:
    admin, token = await signed_in(app, ada, admin=True)
    await add_app(app, token, "Phone")
    body = await reset(app, token, admin.id)
    assert error_code(body) == "FORBIDDEN"
    assert await names(admin.id) == ["Phone"]
    refused = await AuditEvent.filter(action="two_factor.reset_refused")
    assert [(r.actor_id, r.target_id, r.details) for r in refused] == [(admin.id, admin.id, {"reason": "own_account"})]
    assert not await AuditEvent.filter(action="two_factor.reset").exists()


async def test_an_administrator_with_2fa_needs_a_fresh_factor_to_reset(app: Harness, ada: str) -> None:
    user, user_token = await signed_in(app, ada)
    await add_app(app, user_token, "Phone")
    _, token = await signed_in(app, "admin@example.test", admin=True)
    _, secret, step = await add_app(app, token, "Admin phone")
    await stale(app, token)

    for code, answer in ((None, "FRESH_CODE_REQUIRED"), (wrong_totp(secret, step), "INVALID_CODE")):
        refused = (await reset(app, token, user.id, code))["data"]["admin"]["resetUserTwoFactor"]
        assert refused["user"] is None and refused["error"]["code"] == answer
    assert await names(user.id) == ["Phone"]
    reasons = [r.details["reason"] for r in await AuditEvent.filter(action="two_factor.reset_refused").order_by("id")]
    assert reasons == ["FRESH_CODE_REQUIRED", "INVALID_CODE"]

    done = (await reset(app, token, user.id, totp.code_at(secret, step + 1)))["data"]["admin"]["resetUserTwoFactor"]
    assert done["error"] is None and done["user"]["id"] == str(user.id)
    assert await names(user.id) == []


async def test_an_administrator_without_2fa_cannot_reset_another_administrator(app: Harness, ada: str) -> None:
    other_admin, other_token = await signed_in(app, ada, admin=True)
    await add_app(app, other_token, "Phone")
    user, user_token = await signed_in(app, "bob@example.test")
    await add_app(app, user_token, "Bob's phone")
    admin, token = await signed_in(app, "admin@example.test", admin=True)

    assert error_code(await reset(app, token, other_admin.id)) == "FORBIDDEN"
    assert await names(other_admin.id) == ["Phone"]
    refused = await AuditEvent.filter(action="two_factor.reset_refused")
    assert [(r.actor_id, r.target_id, r.details) for r in refused] == [
        (admin.id, other_admin.id, {"reason": "administrator_without_2fa"})
    ]
    # A user who is not an administrator still can be.
    assert (await reset(app, token, user.id))["data"]["admin"]["resetUserTwoFactor"]["error"] is None
    assert await names(user.id) == []


async def test_an_administrators_password_only_session_cannot_reset(app: Harness, ada: str) -> None:
    user, user_token = await signed_in(app, ada)
    await add_app(app, user_token, "Phone")
    await create_user("admin@example.test", admin=True)
    # Signed in twice before turning 2FA on: the first session never proved a factor.
    password_only = (await login(app, "admin@example.test"))["token"]
    admin_token = (await login(app, "admin@example.test"))["token"]
    await add_app(app, admin_token, "Admin phone")
    assert error_code(await reset(app, password_only, user.id)) == "FORBIDDEN"
    assert await names(user.id) == ["Phone"]
