"""No stranger can lock the owner out (hardening #5 and #9, first hour #2).

Throttles slow a guesser down with a growing wait rather than closing the account; a device
that signed in before (its device token) keeps allowances of its own; a stranger's sign-in
code mails do not spend the owner's set-up mails; the resend cooldown belongs to one set-up
or one sign-in challenge; the throttle table names accounts by a keyed HMAC.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from helpers import (
    PASSWORD,
    REMOVE,
    SET_UP_APP,
    SET_UP_EMAIL,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    add_app,
    create_user,
    names,
    signed_in,
)
from test_admin import RESET, admin_token

from twofactor.models import AuditEvent, EmailChallenge, KnownDevice, LoginThrottle, OutboxMessage, Session, User
from twofactor.security import totp
from twofactor.security.rules import (
    ATTEMPTS_PER_VERIFICATION,
    DEVICE_LIFETIME,
    DEVICE_LOGIN_FAILURES,
    DEVICES_PER_USER,
    LOGIN_FAILURES_BEFORE_WAIT,
    LOGIN_FAILURES_BEFORE_WAIT_PER_ADDRESS,
    LOGIN_WAIT_FIRST,
    LOGIN_WAIT_MAX,
    PROVEN_DEVICES_PER_USER,
    RESEND_COOLDOWN,
    SIGN_IN_SENDS_PER_HOUR,
    USER_FAILURES_BEFORE_WAIT,
)
from twofactor.security.throttle import login_guesses_per_day
from twofactor.security.tokens import token_hash
from twofactor.server.context import DEVICE_COOKIE, now

LOGIN = """
mutation($email: String!, $password: String!, $device: String) {
  login(email: $email, password: $password, deviceToken: $device) {
    token deviceToken session { nextStep } authenticators { id method }
    error { code message retryAfterSeconds }
  }
}"""
SEND_LOGIN_CODE = """
mutation($id: ID!) { sendLoginCode(authenticatorId: $id) {
  expiresAt resendAvailableAt error { code message retryAfterSeconds } } }"""
RESEND = """
mutation($id: ID!) { myTwoFactor { resendCode(setupId: $id) {
  setup { id } error { code message retryAfterSeconds } } } }"""
RECOVER = """
mutation($code: String!) { verifyLoginWithRecoveryCode(code: $code) { session { nextStep } error { code } } }"""
WRONG = "not the password at all"
SETUP_SUBJECT = "Confirm your new email authenticator"
SIGN_IN_SUBJECT = "Your sign-in code"


async def sign_in(
    app: Harness,
    email: str,
    password: str = PASSWORD,
    device: str | None = None,
    client: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    variables = {"email": email, "password": password, "device": device}
    if client is None:
        body = await app.gql(LOGIN, variables)
    else:
        body = (await client.post("/graphql", json={"query": LOGIN, "variables": variables})).json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["login"]
    return payload


async def make_account_wait(app: Harness, email: str) -> None:
    """A stranger's wrong passwords, from clients without a device token, until the account waits."""
    for _ in range(LOGIN_FAILURES_BEFORE_WAIT):
        assert (await sign_in(app, email, WRONG))["error"]["code"] == "INVALID_CREDENTIALS"
    assert (await sign_in(app, email))["error"]["code"] == "RATE_LIMITED"


async def account_row() -> LoginThrottle:
    return await LoginThrottle.get(key__startswith="account:")


async def wait_over(key_prefix: str = "account:") -> None:
    """Pretend the wait of the throttle rows passed instead of sleeping."""
    await LoginThrottle.filter(key__startswith=key_prefix).update(blocked_until=now() - timedelta(seconds=1))


def wrong_code(secret: str) -> str:
    step = totp.current_step()
    near = {totp.code_at(secret, s) for s in range(step - 3, step + 4)}
    return next(c for c in (f"{d}" * 6 for d in range(10)) if c not in near)


async def verify(app: Harness, token: str, authenticator_id: str, code: str) -> dict[str, Any]:
    body = await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["verifyLogin"]
    return payload


async def send_code(app: Harness, token: str, authenticator_id: str) -> dict[str, Any]:
    body = await app.gql(SEND_LOGIN_CODE, {"id": authenticator_id}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["sendLoginCode"]
    return payload


async def mailed(app: Harness, address: str, subject: str, nth: int = 1) -> str:
    async with asyncio.timeout(10):
        while True:
            found = [m for m in app.smtp.received if address in m.rcpt_tos and m.message["Subject"] == subject]
            if len(found) >= nth:
                match = re.search(r"\b(\d{6})\b", found[nth - 1].part("text/plain"))
                assert match
                return match.group(1)
            await asyncio.sleep(0.02)


async def add_email(app: Harness, token: str, address: str, name: str = "Mail") -> str:
    started = (await app.gql(SET_UP_EMAIL, {"name": name}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    assert started["error"] is None, started
    code = await mailed(app, address, SETUP_SUBJECT)
    made = (await app.gql(SUBMIT, {"id": started["setup"]["id"], "code": code}, token=token))["data"]
    assert made["myTwoFactor"]["submitCode"]["error"] is None, made
    authenticator_id: str = made["myTwoFactor"]["submitCode"]["authenticator"]["id"]
    return authenticator_id


# The throttle table (hardening #9)


async def test_the_throttle_table_names_an_account_by_a_keyed_hmac(app: Harness, ada: str) -> None:
    await create_user(ada)
    assert (await sign_in(app, ada, WRONG))["error"]["code"] == "INVALID_CREDENTIALS"
    keys = {row.key for row in await LoginThrottle.all()}
    plain = hashlib.sha256(ada.encode()).hexdigest()[:40]
    assert not any(plain in key for key in keys), keys  # anyone can hash a guessed address
    key = app.app.state.services.keyring.digest_key
    keyed = hmac.new(key, f"login-throttle\x00{ada}".encode(), hashlib.sha256).hexdigest()[:40]
    assert f"account:{keyed}" in keys


# Growing waits instead of a lock (hardening #5)


async def test_wrong_passwords_bring_a_growing_wait_not_a_lock(app: Harness, ada: str) -> None:
    await create_user(ada)
    await make_account_wait(app, ada)
    first = (await sign_in(app, ada))["error"]["retryAfterSeconds"]
    assert 0 < first <= LOGIN_WAIT_FIRST.total_seconds()
    # The refused attempt checked no password and counted nothing.
    assert (await account_row()).failures == LOGIN_FAILURES_BEFORE_WAIT

    # Once the wait is over, each further wrong password doubles it.
    await wait_over()
    assert (await sign_in(app, ada, WRONG))["error"]["code"] == "INVALID_CREDENTIALS"
    second = (await sign_in(app, ada))["error"]["retryAfterSeconds"]
    assert LOGIN_WAIT_FIRST.total_seconds() < second <= 2 * LOGIN_WAIT_FIRST.total_seconds()
    # ... up to a cap, however long the streak.
    await LoginThrottle.filter(key__startswith="account:").update(failures=100, blocked_until=None)
    assert (await sign_in(app, ada, WRONG))["error"]["code"] == "INVALID_CREDENTIALS"
    capped = (await sign_in(app, ada))["error"]["retryAfterSeconds"]
    assert LOGIN_WAIT_MAX.total_seconds() - 60 < capped <= LOGIN_WAIT_MAX.total_seconds()

    # Never a lock: when the wait is over, the right password signs in, and the streak ends.
    await wait_over()
    assert (await sign_in(app, ada))["session"]["nextStep"] == "DONE"
    assert not await LoginThrottle.filter(key__startswith="account:").exists()


async def test_a_streak_older_than_a_day_starts_again(app: Harness, ada: str) -> None:
    await create_user(ada)
    await make_account_wait(app, ada)
    await LoginThrottle.filter(key__startswith="account:").update(window_start=now() - timedelta(days=1, seconds=1))
    assert (await sign_in(app, ada, WRONG))["error"]["code"] == "INVALID_CREDENTIALS"
    assert (await account_row()).failures == 1
    assert (await account_row()).blocked_until is None


async def test_parallel_wrong_passwords_are_each_counted_and_none_gets_past_the_wait(app: Harness, ada: str) -> None:
    """Below the wait each failure is one atomic update; the one that brings the wait goes through
    the read and swap (models/throttles.py): of parallel guesses, exactly the free ones check a password."""
    await create_user(ada)
    extra = 4
    answers = await asyncio.gather(*(sign_in(app, ada, WRONG) for _ in range(LOGIN_FAILURES_BEFORE_WAIT + extra)))
    refusals = sorted(answer["error"]["code"] for answer in answers)
    assert refusals == ["INVALID_CREDENTIALS"] * LOGIN_FAILURES_BEFORE_WAIT + ["RATE_LIMITED"] * extra
    assert (await account_row()).failures == LOGIN_FAILURES_BEFORE_WAIT
    # The address counts the same guesses (its own wait is further away).
    assert (await LoginThrottle.get(key__startswith="address:")).failures == LOGIN_FAILURES_BEFORE_WAIT


def test_the_readme_states_the_guesses_a_day_the_rules_allow() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    guesses = login_guesses_per_day()
    assert LOGIN_FAILURES_BEFORE_WAIT < guesses < 200
    assert f"at most {guesses} passwords a day" in readme


# Known devices keep their own allowance (hardening #5)


async def test_a_known_device_signs_in_while_a_stranger_is_made_to_wait(app: Harness, ada: str) -> None:
    await create_user(ada)
    first = await sign_in(app, ada)
    device = first["deviceToken"]
    assert device and len(device) >= 43 and device != first["token"]
    # Stored only as a hash.
    stored = await KnownDevice.get(token_hash=token_hash(device))
    assert device not in repr(await KnownDevice.filter(id=stored.id).values())

    await make_account_wait(app, ada)
    again = await sign_in(app, ada, device=device)
    assert again["error"] is None, again
    assert again["session"]["nextStep"] == "DONE"
    assert again["deviceToken"] == device
    signed = await AuditEvent.filter(action="login.password_ok").order_by("id")
    assert [event.details["known_device"] for event in signed] == [False, True]
    # The stranger still waits: the device's success did not end the account's streak.
    assert (await sign_in(app, ada))["error"]["code"] == "RATE_LIMITED"


async def test_a_browser_keeps_its_device_in_a_strict_http_only_cookie(app: Harness, ada: str) -> None:
    await create_user(ada)
    async with app.client() as browser:
        response = await browser.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": ada, "password": PASSWORD}}
        )
        device = response.json()["data"]["login"]["deviceToken"]
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{DEVICE_COOKIE}="))
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict", "path=/"} <= attributes
        assert f"max-age={int(DEVICE_LIFETIME.total_seconds())}" in attributes
        assert cookie.startswith(f"{DEVICE_COOKIE}={device};")

        await make_account_wait(app, ada)
        # The browser sends its cookie back: no argument needed.
        assert (await sign_in(app, ada, client=browser))["session"]["nextStep"] == "DONE"


async def test_an_unknown_or_another_accounts_device_token_is_no_help(app: Harness, ada: str) -> None:
    await create_user(ada)
    await create_user("bob@example.test", name="Bob")
    bobs = (await sign_in(app, "bob@example.test"))["deviceToken"]
    await make_account_wait(app, ada)
    for token in (bobs, "x" * 43, "", "é" * 10):
        assert (await sign_in(app, ada, device=token))["error"]["code"] == "RATE_LIMITED", token


async def test_a_device_token_that_fails_too_often_is_no_longer_trusted(app: Harness, ada: str) -> None:
    await create_user(ada)
    device = (await sign_in(app, ada))["deviceToken"]
    for _ in range(DEVICE_LOGIN_FAILURES):
        assert (await sign_in(app, ada, WRONG, device=device))["error"]["code"] == "INVALID_CREDENTIALS"
    # Those counted on the device, not on the account.
    assert not await LoginThrottle.filter(key__startswith="account:").exists()
    assert (await KnownDevice.get(token_hash=token_hash(device))).login_failures == DEVICE_LOGIN_FAILURES
    # From now on the token is like no token at all: the account's count applies.
    assert (await sign_in(app, ada, WRONG, device=device))["error"]["code"] == "INVALID_CREDENTIALS"
    assert (await account_row()).failures == 1
    for _ in range(LOGIN_FAILURES_BEFORE_WAIT - 1):
        assert (await sign_in(app, ada, WRONG))["error"]["code"] == "INVALID_CREDENTIALS"
    assert (await sign_in(app, ada, device=device))["error"]["code"] == "RATE_LIMITED"


async def test_a_known_device_is_not_held_by_the_limit_of_its_address(app: Harness, ada: str) -> None:
    await create_user(ada)
    await create_user("bob@example.test", name="Bob")
    device = (await sign_in(app, ada))["deviceToken"]
    # Many users behind one proxy (one address), or one stranger trying many accounts.
    for n in range(LOGIN_FAILURES_BEFORE_WAIT_PER_ADDRESS):
        assert (await sign_in(app, f"nobody{n}@example.test", WRONG))["error"]["code"] == "INVALID_CREDENTIALS"
    assert (await sign_in(app, "bob@example.test"))["error"]["code"] == "RATE_LIMITED"
    assert (await sign_in(app, ada))["error"]["code"] == "RATE_LIMITED"
    assert (await sign_in(app, ada, device=device))["session"]["nextStep"] == "DONE"


# Code checks: a stranger with the password cannot make a known device wait (hardening #5)


async def _owner_with_app(app: Harness, ada: str) -> tuple[User, str, int, str, str]:
    """A user with an app, and a device that passed the second factor (by a recovery code, so
    the app's next code is still unused): (user, secret, step used, authenticator id, device)."""
    user, token = await signed_in(app, ada)
    result, secret, step = await add_app(app, token)
    authenticator_id = result["authenticator"]["id"]
    first = await sign_in(app, ada)
    body = await app.gql(RECOVER, {"code": result["recoveryCodes"][0]}, token=first["token"])
    assert body["data"]["verifyLoginWithRecoveryCode"]["session"]["nextStep"] == "DONE", body
    return user, secret, step, authenticator_id, first["deviceToken"]


async def test_a_stranger_with_the_password_cannot_make_a_known_device_wait_for_codes(app: Harness, ada: str) -> None:
    user, secret, used, authenticator_id, device = await _owner_with_app(app, ada)
    # The stranger's sessions (no device token) fail codes until the user must wait.
    for _ in range(USER_FAILURES_BEFORE_WAIT // ATTEMPTS_PER_VERIFICATION):
        stranger = (await sign_in(app, ada))["token"]
        for _ in range(ATTEMPTS_PER_VERIFICATION):
            assert (await verify(app, stranger, authenticator_id, wrong_code(secret)))["error"]["code"] in (
                "INVALID_CODE",
                "TOO_MANY_ATTEMPTS",
            )
    stranger = (await sign_in(app, ada))["token"]
    right = totp.code_at(secret, used + 1)
    assert (await verify(app, stranger, authenticator_id, right))["error"]["code"] == "RATE_LIMITED"

    # The owner's device is held only by its own count: a wrong code is answered as such (and
    # counted for the user too, the bound for everyone else), then the right one signs in.
    owner = await sign_in(app, ada, device=device)
    waiting = (await User.get(id=user.id)).failed_verifications
    assert (await verify(app, owner["token"], authenticator_id, wrong_code(secret)))["error"]["code"] == "INVALID_CODE"
    assert (await User.get(id=user.id)).failed_verifications == waiting + 1
    assert (await KnownDevice.get(token_hash=token_hash(device))).code_failures == 1
    done = await verify(app, owner["token"], authenticator_id, right)
    assert done["error"] is None, done
    assert done["session"]["nextStep"] == "DONE"
    assert (await KnownDevice.get(token_hash=token_hash(device))).code_failures == 0


async def _make_user_wait(app: Harness, email: str, secret: str, authenticator_id: str) -> None:
    """A stranger with the password fails codes from fresh sign-ins until the user must wait."""
    for _ in range(USER_FAILURES_BEFORE_WAIT // ATTEMPTS_PER_VERIFICATION):
        stranger = (await sign_in(app, email))["token"]
        for _ in range(ATTEMPTS_PER_VERIFICATION):
            await verify(app, stranger, authenticator_id, wrong_code(secret))
    user = await User.get(email=email)
    assert user.verification_blocked_until is not None and user.verification_blocked_until > now()


async def test_a_stranger_cannot_make_the_owners_signed_in_device_wait_for_codes(app: Harness, ada: str) -> None:
    user, secret, used, phone_id, device = await _owner_with_app(app, ada)
    challenged = (await sign_in(app, ada, device=device))["token"]
    passed = await verify(app, challenged, phone_id, totp.code_at(secret, used + 1))
    assert passed["session"]["nextStep"] == "DONE"
    owner = passed["token"]  # passing the challenge changed the token
    await _make_user_wait(app, ada, secret, phone_id)

    # The owner's session finishes a set-up: a wrong code counts on the device, a right one creates.
    started = (await app.gql(SET_UP_APP, token=owner))["data"]["myTwoFactor"]["setUpApp"]
    assert started["error"] is None, started
    tablet_secret = started["setup"]["app"]["setupKey"].replace(" ", "")
    variables = {"id": started["setup"]["id"], "code": wrong_code(tablet_secret), "name": "Tablet"}
    wrong = (await app.gql(SUBMIT, variables, token=owner))["data"]["myTwoFactor"]["submitCode"]
    assert wrong["error"]["code"] == "INVALID_CODE", wrong
    assert (await KnownDevice.get(token_hash=token_hash(device))).code_failures == 1
    variables["code"] = totp.code_at(tablet_secret, totp.current_step())
    made = (await app.gql(SUBMIT, variables, token=owner))["data"]["myTwoFactor"]["submitCode"]
    assert made["error"] is None, made
    assert (await KnownDevice.get(token_hash=token_hash(device))).code_failures == 0

    # ... and confirms a removal with a fresh code, long after it signed in.
    stale = now() - app.settings.fresh_factor_window - timedelta(minutes=1)
    await Session.filter(token_hash=token_hash(owner)).update(second_factor_at=stale)
    tablet_id = made["authenticator"]["id"]
    code = totp.code_at(tablet_secret, totp.current_step() + 1)
    removed = (await app.gql(REMOVE, {"id": tablet_id, "code": code}, token=owner))["data"]["myTwoFactor"]["remove"]
    assert removed["error"] is None, removed
    assert await names(user.id) == ["Phone"]


async def test_an_administrators_reset_ends_what_the_old_factors_proved_for_devices(app: Harness, ada: str) -> None:
    # A reset is how an account is taken back: a device that passed one of the old factors (an
    # intruder's, maybe) counts wrong codes on the user again until it passes one of the new ones.
    user, _, _, _, device = await _owner_with_app(app, ada)
    _, admin = await admin_token(app)
    reset = await app.gql(RESET, {"id": str(user.id)}, token=admin)
    assert reset["data"]["admin"]["resetUserTwoFactor"]["error"] is None
    assert (await KnownDevice.get(token_hash=token_hash(device))).second_factor_at is None
    result, secret, _ = await add_app(app, (await sign_in(app, ada))["token"])
    phone_id = result["authenticator"]["id"]
    await _make_user_wait(app, ada, secret, phone_id)
    again = await sign_in(app, ada, device=device)
    assert again["deviceToken"] == device  # still known: its own allowance for passwords stays
    assert (await verify(app, again["token"], phone_id, wrong_code(secret)))["error"]["code"] == "RATE_LIMITED"


async def test_a_known_device_has_its_own_bound_on_wrong_codes(app: Harness, ada: str) -> None:
    user, secret, used, authenticator_id, device = await _owner_with_app(app, ada)
    for _ in range(USER_FAILURES_BEFORE_WAIT // ATTEMPTS_PER_VERIFICATION):
        token = (await sign_in(app, ada, device=device))["token"]
        for _ in range(ATTEMPTS_PER_VERIFICATION):
            await verify(app, token, authenticator_id, wrong_code(secret))
    token = (await sign_in(app, ada, device=device))["token"]
    # The device's own wait holds it, whatever the user's.
    await User.filter(id=user.id).update(failed_verifications=0, verification_blocked_until=None)
    limited = await verify(app, token, authenticator_id, totp.code_at(secret, used + 1))
    assert limited["error"]["code"] == "RATE_LIMITED"
    assert limited["error"]["retryAfterSeconds"] > 0
    assert (await Session.get(token_hash=token_hash(token))).failed_attempts == 0
    assert (await User.get(id=user.id)).failed_verifications == 0


async def test_a_device_that_never_passed_a_second_factor_counts_on_the_user(app: Harness, ada: str) -> None:
    user, secret, _, authenticator_id, _ = await _owner_with_app(app, ada)
    # A stranger with the password gets a device token too, but it never passes a code.
    theirs = (await sign_in(app, ada))["deviceToken"]
    token = (await sign_in(app, ada, device=theirs))["token"]
    assert (await verify(app, token, authenticator_id, wrong_code(secret)))["error"]["code"] == "INVALID_CODE"
    assert (await User.get(id=user.id)).failed_verifications == 1


async def test_parallel_wrong_codes_of_a_known_device_are_each_counted(app: Harness, ada: str) -> None:
    _, secret, _, authenticator_id, device = await _owner_with_app(app, ada)
    tokens = [(await sign_in(app, ada, device=device))["token"] for _ in range(2)]
    code = wrong_code(secret)
    results = await asyncio.gather(*(verify(app, t, authenticator_id, code) for t in tokens for _ in range(4)))
    answered = [r["error"]["code"] for r in results]
    assert set(answered) <= {"INVALID_CODE", "RATE_LIMITED"}, answered
    counted = (await KnownDevice.get(token_hash=token_hash(device))).code_failures
    assert counted == answered.count("INVALID_CODE")


# Code mails: who may spend the user's allowance (hardening #5), cooldown per set-up or challenge (first hour #2)


async def test_a_sign_in_code_goes_out_right_after_an_email_set_up(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    authenticator_id = await add_email(app, token, ada)
    pending = (await sign_in(app, ada))["token"]
    sent = await send_code(app, pending, authenticator_id)
    assert sent["error"] is None, sent
    # The cooldown spaces resends of this challenge...
    again = await send_code(app, pending, authenticator_id)
    assert again["error"]["code"] == "RATE_LIMITED"
    assert 0 < again["error"]["retryAfterSeconds"] <= RESEND_COOLDOWN.total_seconds()
    # ... not the first code of another.
    other = (await sign_in(app, ada))["token"]
    assert (await send_code(app, other, authenticator_id))["error"] is None
    code = await mailed(app, ada, SIGN_IN_SUBJECT, 2)
    assert (await verify(app, other, authenticator_id, code))["session"]["nextStep"] == "DONE"


async def test_parallel_first_sends_of_one_challenge_mail_once(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    authenticator_id = await add_email(app, token, ada)
    pending = (await sign_in(app, ada))["token"]
    results = await asyncio.gather(*(send_code(app, pending, authenticator_id) for _ in range(5)))
    assert [r["error"] for r in results].count(None) == 1, results
    assert {r["error"]["code"] for r in results if r["error"]} == {"RATE_LIMITED"}
    # Only the mail that went was counted, and only its code was queued: a send that lost wrote
    # its mail in the transaction that lost.
    assert (await User.get(id=user.id)).sign_in_sends_in_window == 1
    assert await OutboxMessage.filter(kind="login_code", user_id=user.id).count() == 1


async def test_parallel_resends_of_one_challenge_after_the_cooldown_mail_once(app: Harness, ada: str) -> None:
    # Each read the code the cooldown was over for: the guarded update lets one replace it.
    user, token = await signed_in(app, ada)
    authenticator_id = await add_email(app, token, ada)
    pending = (await sign_in(app, ada))["token"]
    assert (await send_code(app, pending, authenticator_id))["error"] is None
    session = await Session.get(token_hash=token_hash(pending))
    await EmailChallenge.filter(session_id=session.id).update(created_at=now() - RESEND_COOLDOWN - timedelta(seconds=1))
    results = await asyncio.gather(*(send_code(app, pending, authenticator_id) for _ in range(4)))
    assert [r["error"] for r in results].count(None) == 1, results
    assert {r["error"]["code"] for r in results if r["error"]} == {"RATE_LIMITED"}
    assert await OutboxMessage.filter(kind="login_code", user_id=user.id).count() == 2
    assert (await User.get(id=user.id)).sign_in_sends_in_window == 2


async def test_parallel_sends_of_many_challenges_stay_within_the_hourly_budget(app: Harness, ada: str) -> None:
    """Each send takes its mail by one atomic update (models/attempts.py `take_code_mail`): parallel
    sends of different challenges are all counted, and none goes beyond the budget."""
    user, token = await signed_in(app, ada)
    authenticator_id = await add_email(app, token, ada)
    pending = [(await sign_in(app, ada))["token"] for _ in range(SIGN_IN_SENDS_PER_HOUR + 3)]
    results = await asyncio.gather(*(send_code(app, t, authenticator_id) for t in pending))
    assert [r["error"] for r in results].count(None) == SIGN_IN_SENDS_PER_HOUR, results
    assert {r["error"]["code"] for r in results if r["error"]} == {"RATE_LIMITED"}
    assert (await User.get(id=user.id)).sign_in_sends_in_window == SIGN_IN_SENDS_PER_HOUR


async def test_a_strangers_sign_in_mails_do_not_spend_the_owners_set_up_mails(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    authenticator_id = await add_email(app, token, ada)
    for _ in range(SIGN_IN_SENDS_PER_HOUR):
        stranger = (await sign_in(app, ada))["token"]
        assert (await send_code(app, stranger, authenticator_id))["error"] is None
    stranger = (await sign_in(app, ada))["token"]
    refused = await send_code(app, stranger, authenticator_id)
    assert refused["error"]["code"] == "RATE_LIMITED"
    assert RESEND_COOLDOWN.total_seconds() < refused["error"]["retryAfterSeconds"] <= 3600
    # The owner's own set-up still mails its code.
    started = (await app.gql(SET_UP_EMAIL, {"name": "Other"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    assert started["error"] is None, started


async def test_a_known_device_mails_sign_in_codes_when_strangers_spent_theirs(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    authenticator_id = await add_email(app, token, ada)
    first = await sign_in(app, ada)
    assert (await send_code(app, first["token"], authenticator_id))["error"] is None
    code = await mailed(app, ada, SIGN_IN_SUBJECT)
    assert (await verify(app, first["token"], authenticator_id, code))["error"] is None
    for _ in range(SIGN_IN_SENDS_PER_HOUR - 1):
        stranger = (await sign_in(app, ada))["token"]
        assert (await send_code(app, stranger, authenticator_id))["error"] is None
    stranger = (await sign_in(app, ada))["token"]
    assert (await send_code(app, stranger, authenticator_id))["error"]["code"] == "RATE_LIMITED"
    owner = (await sign_in(app, ada, device=first["deviceToken"]))["token"]
    assert (await send_code(app, owner, authenticator_id))["error"] is None


async def test_a_resend_of_a_set_up_has_its_own_cooldown(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    first = (await app.gql(SET_UP_EMAIL, {"name": "One"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    second = (await app.gql(SET_UP_EMAIL, {"name": "Two"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    assert first["error"] is None and second["error"] is None, (first, second)
    for started in (first, second):
        body = await app.gql(RESEND, {"id": started["setup"]["id"]}, token=token)
        refused = body["data"]["myTwoFactor"]["resendCode"]
        assert refused["error"]["code"] == "RATE_LIMITED"
        assert 0 < refused["error"]["retryAfterSeconds"] <= RESEND_COOLDOWN.total_seconds()


async def test_sign_ins_with_only_the_password_cannot_push_the_owners_device_out(app: Harness, ada: str) -> None:
    _, _, _, _, device = await _owner_with_app(app, ada)
    for _ in range(DEVICES_PER_USER + 2):
        await sign_in(app, ada)
    user = await User.get(email=ada)
    assert await KnownDevice.filter(user_id=user.id, second_factor_at__isnull=True).count() == DEVICES_PER_USER
    await make_account_wait(app, ada)
    assert (await sign_in(app, ada, device=device))["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"


async def test_a_device_unused_for_its_lifetime_is_forgotten(app: Harness, ada: str) -> None:
    await create_user(ada)
    device = (await sign_in(app, ada))["deviceToken"]
    old = now() - DEVICE_LIFETIME - timedelta(seconds=1)
    await KnownDevice.filter(token_hash=token_hash(device)).update(last_used_at=old)
    await make_account_wait(app, ada)
    assert (await sign_in(app, ada, device=device))["error"]["code"] == "RATE_LIMITED"
    await wait_over()
    await sign_in(app, ada)  # another sign-in clears it away
    assert not await KnownDevice.filter(token_hash=token_hash(device)).exists()


async def test_a_user_keeps_a_bounded_number_of_devices_that_passed_a_second_factor(app: Harness, ada: str) -> None:
    user = await create_user(ada)
    moment = now()
    for n in range(PROVEN_DEVICES_PER_USER + 3):
        at = moment - timedelta(hours=n + 1)
        await KnownDevice.create(
            user_id=user.id, token_hash=f"{n:064d}", created_at=at, last_used_at=at, second_factor_at=at
        )
    await sign_in(app, ada)
    proven = await KnownDevice.filter(user_id=user.id, second_factor_at__isnull=False).order_by("-last_used_at")
    assert [d.token_hash for d in proven] == [f"{n:064d}" for n in range(PROVEN_DEVICES_PER_USER)]
    assert await KnownDevice.filter(user_id=user.id, second_factor_at__isnull=True).count() == 1
