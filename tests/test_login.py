"""Signing in: password, second factor (app, email, recovery code), throttles, cookies."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from helpers import (
    LOGIN,
    MY_TWO_FACTOR,
    PASSWORD,
    SET_UP_EMAIL,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    add_app,
    create_user,
    login,
    signed_in,
)

from twofactor.models import AuditEvent, Authenticator, EmailChallenge, RecoveryCode, Session, SessionState, User
from twofactor.resolvers import code_checks
from twofactor.security import codes, tokens, totp
from twofactor.security.rules import (
    ATTEMPTS_PER_VERIFICATION,
    LOGIN_FAILURES_BEFORE_WAIT,
    LOGIN_WAIT_FIRST,
    MAX_PENDING_SESSIONS_PER_USER,
    PENDING_SESSION_LIFETIME,
    RESEND_COOLDOWN,
    SESSION_LIFETIME,
    TOTP_PERIOD_SECONDS,
    USER_FAILURES_BEFORE_WAIT,
    USER_WAIT_FIRST,
)
from twofactor.server.app import create_app
from twofactor.server.context import DEVICE_COOKIE, SESSION_COOKIE

ADA = "ada@example.test"
SESSION = "{ session { nextStep expiresAt user { email } } }"
LOGOUT = "mutation { logout { ok } }"
EDIT = """
mutation($id: ID!, $name: String!) { myTwoFactor { edit(id: $id, name: $name) {
  authenticator { name } error { code } } } }"""
SEND_LOGIN_CODE = """
mutation($id: ID!) { sendLoginCode(authenticatorId: $id) {
  expiresAt resendAvailableAt error { code message retryAfterSeconds } } }"""
VERIFY_RECOVERY = """
mutation($code: String!) { verifyLoginWithRecoveryCode(code: $code) {
  token session { nextStep } error { code message attemptsLeft retryAfterSeconds } } }"""

SIGN_IN_SUBJECT = "Your sign-in code"
SETUP_SUBJECT = "Confirm your new email authenticator"
RECOVERY_USED_SUBJECT = "A recovery code was used on your account"


# Helpers


def error_code(body: dict[str, Any]) -> str:
    """The extensions.code of the first GraphQL error."""
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def seconds_from_now(value: str) -> float:
    return (datetime.fromisoformat(value) - datetime.now(UTC)).total_seconds()


def wrong_code(secret: str) -> str:
    """Six digits that are no code of `secret` anywhere near now."""
    step = totp.current_step()
    near = {totp.code_at(secret, s) for s in range(step - 3, step + 4)}
    return next(c for c in (f"{d}" * 6 for d in range(10)) if c not in near)


async def user_with_app(app: Harness, email: str = ADA) -> tuple[User, str, int, str, list[str]]:
    """A user with one authenticator app: (user, secret, step used at set-up, authenticator id, recovery codes)."""
    user, token = await signed_in(app, email)
    result, secret, step = await add_app(app, token)
    return user, secret, step, result["authenticator"]["id"], result["recoveryCodes"]


async def challenge(app: Harness, email: str = ADA) -> str:
    """A new sign-in that owes its second factor; its token."""
    payload = await login(app, email)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE", payload
    token: str = payload["token"]
    return token


async def verify(app: Harness, token: str, authenticator_id: str, code: str) -> dict[str, Any]:
    body = await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": code}, token=token)
    payload: dict[str, Any] = body["data"]["verifyLogin"]
    return payload


async def recover(app: Harness, token: str, code: str) -> dict[str, Any]:
    body = await app.gql(VERIFY_RECOVERY, {"code": code}, token=token)
    payload: dict[str, Any] = body["data"]["verifyLoginWithRecoveryCode"]
    return payload


async def fail_times(app: Harness, token: str, authenticator_id: str, secret: str, times: int) -> None:
    for _ in range(times):
        payload = await verify(app, token, authenticator_id, wrong_code(secret))
        assert payload["error"]["code"] == "INVALID_CODE", payload


def browser(app: Harness, headers: dict[str, str]) -> httpx.AsyncClient:
    """A client that sends exactly these headers (no Authorization)."""
    transport = httpx.ASGITransport(app=app.app, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def mails_with(app: Harness, subject: str, count: int = 1, timeout: float = 10) -> list[Any]:
    async with asyncio.timeout(timeout):
        while True:
            found = [m for m in app.smtp.received if m.message["Subject"] == subject]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)


async def session_row(token: str) -> Session:
    from twofactor.security.tokens import token_hash

    return await Session.get(token_hash=token_hash(token))


async def mail_code(app: Harness, address: str, subject: str, nth: int = 1, timeout: float = 10) -> str:
    """The six-digit code of the `nth` message to `address` with this subject."""
    async with asyncio.timeout(timeout):
        while True:
            found = [m for m in app.smtp.received if address in m.rcpt_tos and m.message["Subject"] == subject]
            if len(found) >= nth:
                match = re.search(r"\b(\d{6})\b", found[nth - 1].part("text/plain"))
                assert match, "no code in the message"
                return match.group(1)
            await asyncio.sleep(0.02)


async def add_work_mail(app: Harness, token: str) -> tuple[str, str]:
    """Ada's email authenticator "Work mail", set up with its mailed code; (its id, that code)."""
    setup = (await app.gql(SET_UP_EMAIL, {"name": "Work mail"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    setup_code = await mail_code(app, ADA, SETUP_SUBJECT)
    created = await app.gql(SUBMIT, {"id": setup["setup"]["id"], "code": setup_code}, token=token)
    authenticator_id: str = created["data"]["myTwoFactor"]["submitCode"]["authenticator"]["id"]
    return authenticator_id, setup_code


async def must_wait(user: User) -> None:
    """The user has just reached the failures in a row that make them wait."""
    until = datetime.now(UTC) + USER_WAIT_FIRST
    await User.filter(id=user.id).update(
        failed_verifications=USER_FAILURES_BEFORE_WAIT, verification_blocked_until=until
    )


async def wait_over(user: User) -> None:
    await User.filter(id=user.id).update(verification_blocked_until=datetime.now(UTC) - timedelta(seconds=1))


# Password


async def test_wrong_password_and_unknown_email_get_the_same_answer(app: Harness) -> None:
    await create_user()
    wrong = await login(app, ADA, "not the password at all")
    unknown = await login(app, "nobody@example.test", PASSWORD)
    for payload in (wrong, unknown):
        assert payload["error"]["code"] == "INVALID_CREDENTIALS"
        assert payload["token"] is None and payload["session"] is None
    assert wrong["error"]["message"] == unknown["error"]["message"]
    assert await Session.all().count() == 0


async def test_login_without_two_factor_is_done_and_sets_a_strict_http_only_cookie(app: Harness) -> None:
    await create_user()
    async with app.client() as client:
        response = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": ADA, "password": PASSWORD}}
        )
    payload = response.json()["data"]["login"]
    assert payload["error"] is None
    assert payload["session"]["nextStep"] == "DONE"
    assert payload["authenticators"] is None
    token = payload["token"]
    assert len(token) >= 43  # 256 bits
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={token};")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    assert abs(seconds_from_now(payload["session"]["expiresAt"]) - SESSION_LIFETIME.total_seconds()) < 60
    body = await app.gql(MY_TWO_FACTOR, token=token)
    assert body["data"]["myTwoFactor"]["enabled"] is False


async def test_in_production_the_session_and_device_cookies_are_secure(app: Harness) -> None:
    await create_user()
    # The same database and services as the harness, in production (no worker of its own).
    production = create_app(replace(app.settings, env="production"), migrate=False, run_worker=False)
    transport = httpx.ASGITransport(app=production, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": ADA, "password": PASSWORD}}
        )
    assert response.json()["data"]["login"]["error"] is None, response.text
    cookies = response.headers.get_list("set-cookie")
    assert sorted(cookie.split("=", 1)[0] for cookie in cookies) == sorted([SESSION_COOKIE, DEVICE_COOKIE])
    for cookie in cookies:
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=strict"} <= attributes, cookie


async def test_login_with_an_authenticator_is_a_challenge_that_can_only_be_answered(app: Harness) -> None:
    _, _, _, authenticator_id, _ = await user_with_app(app)
    payload = await login(app)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    assert payload["authenticators"] == [{"id": authenticator_id, "name": "Authenticator app", "method": "APP"}]
    lifetime = PENDING_SESSION_LIFETIME.total_seconds()
    assert lifetime - 60 < seconds_from_now(payload["session"]["expiresAt"]) <= lifetime
    token = payload["token"]

    denied = await app.gql(MY_TWO_FACTOR, token=token)
    assert error_code(denied) == "FORBIDDEN"
    assert denied["data"] is None
    denied = await app.gql(EDIT, {"id": authenticator_id, "name": "Hacked"}, token=token)
    assert error_code(denied) == "FORBIDDEN"
    assert (await Authenticator.get(id=int(authenticator_id))).name == "Phone"

    session = (await app.gql(SESSION, token=token))["data"]["session"]
    assert session["nextStep"] == "TWO_FACTOR_CHALLENGE"
    assert session["user"]["email"] == ADA
    assert (await app.gql(LOGOUT, token=token))["data"]["logout"]["ok"] is True
    assert (await app.gql(SESSION, token=token))["data"]["session"] is None


async def test_challenge_session_expires_after_ten_minutes(app: Harness) -> None:
    await user_with_app(app)
    token = await challenge(app)
    row = await session_row(token)
    assert row.expires_at - row.created_at == PENDING_SESSION_LIFETIME
    await Session.filter(id=row.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await app.gql(SESSION, token=token))["data"]["session"] is None


async def test_ten_wrong_passwords_make_the_account_wait_even_for_the_right_one(app: Harness) -> None:
    await create_user()
    await create_user("bob@example.test", name="Bob")
    for _ in range(LOGIN_FAILURES_BEFORE_WAIT):
        payload = await login(app, ADA, "wrong password!")
        assert payload["error"]["code"] == "INVALID_CREDENTIALS"
    blocked = await login(app, ADA, PASSWORD)
    assert blocked["error"]["code"] == "RATE_LIMITED"
    assert blocked["token"] is None
    assert 0 < blocked["error"]["retryAfterSeconds"] <= LOGIN_WAIT_FIRST.total_seconds()
    # The throttle is per account: another user of the same address still signs in.
    assert (await login(app, "bob@example.test"))["session"]["nextStep"] == "DONE"


async def test_cookie_authenticates_same_origin_requests_only(app: Harness) -> None:
    _, token = await signed_in(app)
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}

    async def session_with(headers: dict[str, str]) -> Any:
        async with browser(app, headers) as client:
            response = await client.post("/graphql", json={"query": SESSION})
        assert response.status_code == 200
        return response.json()["data"]["session"]

    assert (await session_with(cookie))["user"]["email"] == ADA
    assert (await session_with({**cookie, "Origin": "http://testserver"}))["user"]["email"] == ADA
    assert (await session_with({**cookie, "Origin": "https://app.example.test"}))["user"]["email"] == ADA
    assert await session_with({**cookie, "Origin": "https://evil.example"}) is None
    # A cross-site state change is not made with the cookie either.
    async with browser(app, {**cookie, "Origin": "https://evil.example"}) as client:
        response = await client.post("/graphql", json={"query": LOGOUT})
    assert response.json()["data"]["logout"]["ok"] is False
    assert (await app.gql(SESSION, token=token))["data"]["session"] is not None


# verifyLogin with an authenticator app


async def test_current_code_finishes_the_sign_in_in_place(app: Harness) -> None:
    _, secret, step, authenticator_id, _ = await user_with_app(app)
    token = await challenge(app)
    payload = await verify(app, token, authenticator_id, totp.code_at(secret, step + 1))
    assert payload["error"] is None
    assert payload["session"]["nextStep"] == "DONE"
    assert abs(seconds_from_now(payload["session"]["expiresAt"]) - SESSION_LIFETIME.total_seconds()) < 60
    # The session is the same row under a new token; the password-only one is dead.
    assert (await app.gql(SESSION, token=token))["data"]["session"] is None
    assert not await Session.filter(token_hash=tokens.token_hash(token)).exists()
    token = payload["token"]
    body = await app.gql(MY_TWO_FACTOR, token=token)
    assert body["data"]["myTwoFactor"]["enabled"] is True
    assert body["data"]["myTwoFactor"]["authenticators"][0]["lastUsedAt"] is not None
    row = await session_row(token)
    assert row.state == SessionState.DONE and row.second_factor_at is not None


async def test_setup_code_and_accepted_code_cannot_be_replayed(app: Harness) -> None:
    user, secret, step, authenticator_id, _ = await user_with_app(app)
    token = await challenge(app)
    replay = await verify(app, token, authenticator_id, totp.code_at(secret, step))
    # A right code used before says so, and costs no try (of the challenge or of the user).
    assert replay["error"]["code"] == "CODE_ALREADY_USED"
    assert replay["error"]["message"] == "That code was already used. Wait for the next one."
    assert replay["error"]["attemptsLeft"] is None
    assert 0 < replay["error"]["retryAfterSeconds"] <= 2 * TOTP_PERIOD_SECONDS
    assert replay["session"] is None
    assert (await session_row(token)).failed_attempts == 0
    assert (await User.get(id=user.id)).failed_verifications == 0
    accepted = totp.code_at(secret, step + 1)
    assert (await verify(app, token, authenticator_id, accepted))["session"]["nextStep"] == "DONE"

    token = await challenge(app)
    replay = await verify(app, token, authenticator_id, accepted)
    assert replay["error"]["code"] == "CODE_ALREADY_USED"
    assert replay["session"] is None
    assert (await session_row(token)).state == SessionState.CHALLENGE
    # On the record (ASVS 2.8.5; someone saw the code): the set-up code and this one.
    assert await AuditEvent.filter(action="totp.replay_refused").count() == 2


async def test_a_replayed_code_at_the_last_try_leaves_the_challenge_open(app: Harness) -> None:
    user, secret, step, authenticator_id, _ = await user_with_app(app)
    token = await challenge(app)
    await fail_times(app, token, authenticator_id, secret, ATTEMPTS_PER_VERIFICATION - 1)
    replay = await verify(app, token, authenticator_id, totp.code_at(secret, step))
    assert replay["error"]["code"] == "CODE_ALREADY_USED", replay
    # The try it was counted as went back: the challenge and the user's count are as before.
    row = await session_row(token)
    assert row.failed_attempts == ATTEMPTS_PER_VERIFICATION - 1
    assert (await User.get(id=user.id)).failed_verifications == ATTEMPTS_PER_VERIFICATION - 1
    done = await verify(app, token, authenticator_id, totp.code_at(secret, step + 1))
    assert done["session"]["nextStep"] == "DONE", done


async def test_a_code_older_than_the_last_accepted_one_is_refused(app: Harness) -> None:
    _, secret, step, authenticator_id, _ = await user_with_app(app)
    # Forget the set-up's step: `step` is then a never-used code inside the window.
    await Authenticator.filter(id=int(authenticator_id)).update(last_step=step - 5)
    token = await challenge(app)
    assert (await verify(app, token, authenticator_id, totp.code_at(secret, step + 1)))["error"] is None
    token = await challenge(app)
    older = await verify(app, token, authenticator_id, totp.code_at(secret, step))
    assert older["error"]["code"] == "CODE_ALREADY_USED"
    assert (await Authenticator.get(id=int(authenticator_id))).last_step == step + 1


async def test_one_code_in_parallel_sessions_wins_once(app: Harness) -> None:
    user, secret, step, authenticator_id, _ = await user_with_app(app)
    # As many sign-ins at the challenge as a user may have at once.
    tokens = [await challenge(app) for _ in range(MAX_PENDING_SESSIONS_PER_USER)]
    code = totp.code_at(secret, step + 1)
    results = await asyncio.gather(*(verify(app, t, authenticator_id, code) for t in tokens))
    done = [r for r in results if r["session"] is not None]
    assert len(done) == 1, results
    assert {r["error"]["code"] for r in results if r["error"]} <= {"CODE_ALREADY_USED", "RATE_LIMITED"}
    assert await Session.filter(user_id=user.id, state=SessionState.DONE).count() == 2  # set-up's and the winner


async def test_five_wrong_codes_end_the_challenge(app: Harness) -> None:
    _, secret, step, authenticator_id, _ = await user_with_app(app)
    token = await challenge(app)
    for left in range(ATTEMPTS_PER_VERIFICATION - 1, 0, -1):
        payload = await verify(app, token, authenticator_id, wrong_code(secret))
        assert payload["error"]["code"] == "INVALID_CODE"
        assert payload["error"]["attemptsLeft"] == left
    last = await verify(app, token, authenticator_id, wrong_code(secret))
    assert last["error"]["code"] == "TOO_MANY_ATTEMPTS"
    body = await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": totp.code_at(secret, step + 1)}, token=token)
    assert error_code(body) == "UNAUTHENTICATED"
    assert (await app.gql(SESSION, token=token))["data"]["session"] is None


async def test_ten_failures_in_a_row_across_sessions_rate_limit_the_user(app: Harness) -> None:
    user, secret, step, authenticator_id, _ = await user_with_app(app)
    first, second, third = [await challenge(app) for _ in range(3)]
    await fail_times(app, first, authenticator_id, secret, 4)
    await fail_times(app, second, authenticator_id, secret, 4)
    await fail_times(app, third, authenticator_id, secret, USER_FAILURES_BEFORE_WAIT - 8)
    right = totp.code_at(secret, step + 1)
    for token in (third, await challenge(app)):
        payload = await verify(app, token, authenticator_id, right)
        assert payload["error"]["code"] == "RATE_LIMITED", payload
        assert 0 < payload["error"]["retryAfterSeconds"] <= USER_WAIT_FIRST.total_seconds()
        assert payload["session"] is None
    # The refused tries cost nothing, and the right code was not used up.
    assert (await session_row(third)).failed_attempts == USER_FAILURES_BEFORE_WAIT - 8
    assert (await Authenticator.get(id=int(authenticator_id))).last_step == step
    await User.filter(id=user.id).update(verification_blocked_until=datetime.now(UTC) - timedelta(seconds=1))
    assert (await verify(app, await challenge(app), authenticator_id, right))["error"] is None


async def test_a_success_starts_the_count_of_failures_again(app: Harness) -> None:
    user, secret, _, authenticator_id, recovery = await user_with_app(app)
    for _ in range(2):
        first, second, third = [await challenge(app) for _ in range(3)]
        await fail_times(app, first, authenticator_id, secret, 4)
        await fail_times(app, second, authenticator_id, secret, 4)
        await fail_times(app, third, authenticator_id, secret, USER_FAILURES_BEFORE_WAIT - 9)
        assert (await User.get(id=user.id)).failed_verifications == USER_FAILURES_BEFORE_WAIT - 1
        # Without the reset, the next round's second failure would be refused as RATE_LIMITED.
        assert (await recover(app, third, recovery.pop()))["session"]["nextStep"] == "DONE"
        assert (await User.get(id=user.id)).failed_verifications == 0


async def test_codes_of_the_wrong_shape_cost_no_attempt(app: Harness) -> None:
    user, _, _, authenticator_id, _ = await user_with_app(app)
    token = await challenge(app)
    for code in ("12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5", "", "' OR '1'='1"):
        payload = await verify(app, token, authenticator_id, code)
        assert payload["error"]["code"] == "INVALID_INPUT", (code, payload)
        assert payload["error"]["attemptsLeft"] is None
    assert (await session_row(token)).failed_attempts == 0
    assert (await User.get(id=user.id)).failed_verifications == 0


async def test_another_users_authenticator_is_not_found(app: Harness) -> None:
    await user_with_app(app)
    _, bob_secret, bob_step, bob_authenticator, _ = await user_with_app(app, "bob@example.test")
    token = await challenge(app)
    for authenticator_id in (bob_authenticator, "999999", "abc", "-1", "2147483648", "99999999999", "²"):
        payload = await verify(app, token, authenticator_id, totp.code_at(bob_secret, bob_step + 1))
        assert payload["error"]["code"] == "NOT_FOUND", payload
    assert (await session_row(token)).failed_attempts == 0
    assert (await Authenticator.get(id=int(bob_authenticator))).last_step == bob_step


async def test_a_code_sent_as_an_int_is_a_graphql_error(app: Harness) -> None:
    _, secret, step, authenticator_id, _ = await user_with_app(app)
    token = await challenge(app)
    code = int(totp.code_at(secret, step + 1))
    async with app.client(token) as client:
        response = await client.post(
            "/graphql", json={"query": VERIFY_LOGIN, "variables": {"id": authenticator_id, "code": code}}
        )
    assert response.status_code < 500
    body = response.json()
    assert body.get("data") is None
    assert "$code" in body["errors"][0]["message"], body
    assert (await session_row(token)).failed_attempts == 0


# Email codes


async def test_email_code_signs_in_once_and_the_setup_code_does_not(app: Harness) -> None:
    _, token = await signed_in(app)
    authenticator_id, setup_code = await add_work_mail(app, token)

    # The sign-in's first code goes out at once, right after the set-up's.
    token = await challenge(app)
    sent = (await app.gql(SEND_LOGIN_CODE, {"id": authenticator_id}, token=token))["data"]["sendLoginCode"]
    assert sent["error"] is None
    assert 9 * 60 < seconds_from_now(sent["expiresAt"]) <= 10 * 60
    assert 0 < seconds_from_now(sent["resendAvailableAt"]) <= RESEND_COOLDOWN.total_seconds()
    again = (await app.gql(SEND_LOGIN_CODE, {"id": authenticator_id}, token=token))["data"]["sendLoginCode"]
    assert again["error"]["code"] == "RATE_LIMITED"
    assert 0 < again["error"]["retryAfterSeconds"] <= RESEND_COOLDOWN.total_seconds()
    assert again["expiresAt"] is None

    code = await mail_code(app, ADA, SIGN_IN_SUBJECT)
    if setup_code != code:
        assert (await verify(app, token, authenticator_id, setup_code))["error"]["code"] == "INVALID_CODE"
    passed = await verify(app, token, authenticator_id, code)
    assert passed["session"]["nextStep"] == "DONE"

    # Single use: consumed with the sign-in, and bound to that sign-in.
    row = await session_row(passed["token"])
    challenge_row = await EmailChallenge.get(session_id=row.id)
    assert challenge_row.used_at is not None
    authenticator = await Authenticator.get(id=int(authenticator_id))
    # Stored only as its HMAC, bound to this sign-in and authenticator.
    purpose = code_checks.challenge_purpose(row.id, authenticator.id)
    assert challenge_row.code_digest == codes.code_digest(app.app.state.services.keyring.digest_key, purpose, code)
    assert await code_checks.claim_email_code(app.app.state.services.keyring, row, authenticator, code) is False
    other = await challenge(app)
    assert (await verify(app, other, authenticator_id, code))["error"]["code"] == "INVALID_CODE"
    assert len([m for m in app.smtp.received if m.message["Subject"] == SIGN_IN_SUBJECT]) == 1


async def test_a_user_who_must_wait_is_refused_a_right_email_code_before_it_is_checked(app: Harness) -> None:
    # Tries are counted before the code is checked: a waiting user's right code is not even used up.
    user, token = await signed_in(app)
    authenticator_id, _ = await add_work_mail(app, token)
    token = await challenge(app)
    sent = (await app.gql(SEND_LOGIN_CODE, {"id": authenticator_id}, token=token))["data"]["sendLoginCode"]
    assert sent["error"] is None, sent
    code = await mail_code(app, ADA, SIGN_IN_SUBJECT)
    await must_wait(user)

    refused = await verify(app, token, authenticator_id, code)
    assert refused["error"]["code"] == "RATE_LIMITED", refused
    assert 0 < refused["error"]["retryAfterSeconds"] <= USER_WAIT_FIRST.total_seconds()
    assert refused["session"] is None
    session = await session_row(token)
    assert session.state == SessionState.CHALLENGE and session.failed_attempts == 0
    assert (await EmailChallenge.get(session_id=session.id)).used_at is None
    await wait_over(user)
    assert (await verify(app, token, authenticator_id, code))["session"]["nextStep"] == "DONE"


async def test_send_login_code_needs_an_email_authenticator(app: Harness) -> None:
    _, _, _, authenticator_id, _ = await user_with_app(app)
    token = await challenge(app)
    sent = (await app.gql(SEND_LOGIN_CODE, {"id": authenticator_id}, token=token))["data"]["sendLoginCode"]
    assert sent["error"]["code"] == "INVALID_INPUT"
    body = await app.gql(SEND_LOGIN_CODE, {"id": authenticator_id})
    assert error_code(body) == "UNAUTHENTICATED"


# Recovery codes


async def test_each_recovery_code_works_once_and_is_reported(app: Harness) -> None:
    _, _, _, _, recovery = await user_with_app(app)
    assert len(recovery) == 10
    token = await challenge(app)
    passed = await recover(app, token, recovery[0])
    assert passed["session"]["nextStep"] == "DONE"
    body = await app.gql(MY_TWO_FACTOR, token=passed["token"])
    assert body["data"]["myTwoFactor"]["recoveryCodesRemaining"] == 9
    notice = (await mails_with(app, RECOVERY_USED_SUBJECT))[0]
    assert ADA in notice.rcpt_tos
    assert "9 recovery codes left" in notice.part("text/plain")

    token = await challenge(app)
    used = await recover(app, token, recovery[0])
    assert used["error"]["code"] == "INVALID_CODE"
    assert used["error"]["attemptsLeft"] == ATTEMPTS_PER_VERIFICATION - 1
    # Separators and case do not matter.
    passed = await recover(app, token, recovery[1].replace("-", "").lower())
    assert passed["session"]["nextStep"] == "DONE"
    body = await app.gql(MY_TWO_FACTOR, token=passed["token"])
    assert body["data"]["myTwoFactor"]["recoveryCodesRemaining"] == 8
    notice = (await mails_with(app, RECOVERY_USED_SUBJECT, 2))[1]
    assert "8 recovery codes left" in notice.part("text/plain")


async def test_a_user_who_must_wait_is_refused_a_right_recovery_code_before_it_is_checked(app: Harness) -> None:
    # Tries are counted before the code is checked: a waiting user's recovery code is not used up.
    user, _, _, _, recovery = await user_with_app(app)
    token = await challenge(app)
    await must_wait(user)

    refused = await recover(app, token, recovery[0])
    assert refused["error"]["code"] == "RATE_LIMITED", refused
    assert 0 < refused["error"]["retryAfterSeconds"] <= USER_WAIT_FIRST.total_seconds()
    assert refused["session"] is None
    assert (await session_row(token)).failed_attempts == 0
    assert await RecoveryCode.filter(user_id=user.id, used_at__isnull=False).count() == 0
    await wait_over(user)
    assert (await recover(app, token, recovery[0]))["session"]["nextStep"] == "DONE"


async def test_a_malformed_recovery_code_costs_no_attempt(app: Harness) -> None:
    _, _, _, _, _ = await user_with_app(app)
    token = await challenge(app)
    for code in ("", "short", "ABCDE-FGHIJ-KLMNO", "0OIL1-0OIL1"):
        assert (await recover(app, token, code))["error"]["code"] == "INVALID_INPUT"
    assert (await session_row(token)).failed_attempts == 0


async def test_unencodable_or_nul_credentials_are_invalid_credentials(app: Harness) -> None:
    await create_user()
    cases = [
        ("\ud800@example.test", PASSWORD),
        ("ada@example.test", "\ud800" + PASSWORD),
        ("ada@example.test\x00", PASSWORD),
        ("a\x00b", PASSWORD),
    ]
    for email, password in cases:
        # json.dumps escapes the lone surrogate as \ud800, as a client library would send it.
        body = json.dumps({"query": LOGIN, "variables": {"email": email, "password": password}})
        async with app.client() as client:
            response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 200
        payload = response.json()["data"]["login"]
        assert payload["error"]["code"] == "INVALID_CREDENTIALS", (email, password)
        assert payload["token"] is None
