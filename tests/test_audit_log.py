"""The audit log is exact: one row per security event, counts that count what happened, one row
per wait, and a user's own view that shows no one else's address or device."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from helpers import PASSWORD, Harness, add_app, create_user, login, signed_in

from twofactor.models import AuditEvent, Authenticator, LoginThrottle, Method, Session, User
from twofactor.security import totp
from twofactor.security.rules import ATTEMPTS_PER_VERIFICATION, LOGIN_FAILURES_BEFORE_WAIT, LOGIN_STREAK_LIFETIME
from twofactor.server.context import now

RESET = """
mutation($id: ID!) { admin { resetUserTwoFactor(userId: $id) { user { id } error { code } } } }"""
VERIFY = """
mutation($id: ID!, $code: String!) { verifyLogin(authenticatorId: $id, code: $code) {
  session { nextStep } error { code retryAfterSeconds }
} }"""
SEND_LOGIN_CODE = """
mutation($id: ID!) { sendLoginCode(authenticatorId: $id) { expiresAt error { code retryAfterSeconds } } }"""
MY_AUDIT = "{ myTwoFactor { auditEvents(first: 100) { events { action actorId ip userAgent } } } }"
ADMIN_AUDIT = """
query($userId: ID) { admin { auditEvents(userId: $userId, first: 100) { events { action actorId ip userAgent } } } }"""
SET_UP_APP = "mutation($code: String) { myTwoFactor { setUpApp(code: $code) { setup { id app { setupKey } } } } }"
SUBMIT = """
mutation($id: ID!, $code: String!) { myTwoFactor { submitCode(setupId: $id, code: $code, name: "Tablet") {
  error { code } } } }"""
CANCEL = "mutation($id: ID!) { myTwoFactor { cancelSetup(setupId: $id) { error { code } } } }"
REMOVE = "mutation($id: ID!) { myTwoFactor { remove(id: $id) { error { code } } } }"
LOGOUT = "mutation { logout { ok } }"
CLIENT_IP = "203.0.113.7"  # the address the test client connects from


async def actions(action: str) -> int:
    return await AuditEvent.filter(action=action).count()


# Security events


async def test_each_security_event_of_a_session_is_one_audit_row(app: Harness, ada: str) -> None:
    # A fresh factor proved, a cancelled and a locked set-up, a removal and a logout: one row
    # each, saying who did it to whom and from where.
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token)
    await Session.filter(user_id=user.id).update(second_factor_at=now() - timedelta(hours=1))

    async def start(code: str | None = None) -> dict[str, Any]:
        body = await app.gql(SET_UP_APP, {"code": code}, token=token)
        setup: dict[str, Any] = body["data"]["myTwoFactor"]["setUpApp"]["setup"]
        assert setup is not None, body
        return setup

    cancelled = await start(totp.code_at(secret, step + 1))
    assert (await app.gql(CANCEL, {"id": cancelled["id"]}, token=token))["data"]["myTwoFactor"]["cancelSetup"]
    locked = await start()
    key = locked["app"]["setupKey"].replace(" ", "")
    wrong = next(c for c in (f"{d}" * 6 for d in range(10)) if totp.matching_step(key, c) is None)
    for _ in range(ATTEMPTS_PER_VERIFICATION):
        await app.gql(SUBMIT, {"id": locked["id"], "code": wrong}, token=token)
    removed = await app.gql(REMOVE, {"id": phone["authenticator"]["id"]}, token=token)
    assert removed["data"]["myTwoFactor"]["remove"]["error"] is None, removed
    assert (await app.gql(LOGOUT, token=token))["data"]["logout"]["ok"] is True

    for action in ("session.factor_refreshed", "setup.cancelled", "setup.locked", "authenticator.removed", "logout"):
        rows = await AuditEvent.filter(action=action)
        assert len(rows) == 1, (action, rows)
        assert (rows[0].actor_id, rows[0].target_id, rows[0].ip) == (user.id, user.id, CLIENT_IP), action
        assert rows[0].user_agent, action


# Counts


async def test_a_reset_records_the_authenticators_it_removed(app: Harness, ada: str) -> None:
    """SQLite's DELETE count includes the rows its trigger changed: 1 authenticator read as 2."""
    for count in (1, 2):
        user, token = await signed_in(app, f"{count}-{ada}")
        await add_app(app, token)
        if count == 2:
            await Authenticator.create(user_id=user.id, method=Method.APP, name="Tablet", name_key="tablet")
        _, admin = await signed_in(app, f"root-{count}-{ada}", admin=True)
        body = await app.gql(RESET, {"id": str(user.id)}, token=admin)
        assert body["data"]["admin"]["resetUserTwoFactor"]["error"] is None, body
        row = await AuditEvent.get(action="two_factor.reset", target_id=user.id)
        assert row.details["authenticators_removed"] == count
        assert await Authenticator.filter(user_id=user.id).count() == 0


# Throttled attempts: one row per wait


async def test_a_throttled_sign_in_is_audited_once_per_window(app: Harness, ada: str) -> None:
    await create_user(ada)
    for _ in range(LOGIN_FAILURES_BEFORE_WAIT):
        assert (await login(app, ada, "not the password"))["error"]["code"] == "INVALID_CREDENTIALS"
    for _ in range(3):
        assert (await login(app, ada, PASSWORD))["error"]["code"] == "RATE_LIMITED"
    assert await actions("login.throttled") == 1
    row = await AuditEvent.get(action="login.throttled")
    assert row.ip == CLIENT_IP and row.details["retry_after_seconds"] > 0

    # A new window that fills up again is a new wait: one more row.
    await LoginThrottle.all().update(window_start=now() - LOGIN_STREAK_LIFETIME - timedelta(seconds=1))
    for _ in range(LOGIN_FAILURES_BEFORE_WAIT):
        assert (await login(app, ada, "not the password"))["error"]["code"] == "INVALID_CREDENTIALS"
    for _ in range(2):
        assert (await login(app, ada, PASSWORD))["error"]["code"] == "RATE_LIMITED"
    assert await actions("login.throttled") == 2


async def challenged(app: Harness, email: str) -> tuple[User, str, str, str]:
    """A user with an app at a sign-in challenge: (user, secret, authenticator id, token)."""
    user, token = await signed_in(app, email)
    result, secret, _ = await add_app(app, token)
    payload = await login(app, email)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    return user, secret, result["authenticator"]["id"], payload["token"]


async def test_a_waiting_users_code_checks_are_audited_once_per_wait(app: Harness, ada: str) -> None:
    user, secret, authenticator_id, token = await challenged(app, ada)
    await User.filter(id=user.id).update(
        failed_verifications=10, verification_blocked_until=now() + timedelta(minutes=5)
    )
    code = totp.code_at(secret, totp.current_step() + 1)
    answers = await asyncio.gather(
        *(
            app.gql(VERIFY, {"id": authenticator_id, "code": code}, token=token)
            for _ in range(ATTEMPTS_PER_VERIFICATION - 1)
        )
    )
    assert {a["data"]["verifyLogin"]["error"]["code"] for a in answers} == {"RATE_LIMITED"}
    assert await actions("verification.throttled") == 1
    row = await AuditEvent.get(action="verification.throttled")
    assert row.target_id == user.id and row.ip == CLIENT_IP

    # A longer wait (a further failure doubled it) is a new wait.
    await User.filter(id=user.id).update(verification_blocked_until=now() + timedelta(minutes=10))
    for _ in range(2):
        answer = await app.gql(VERIFY, {"id": authenticator_id, "code": code}, token=token)
        assert answer["data"]["verifyLogin"]["error"]["code"] == "RATE_LIMITED"
    assert await actions("verification.throttled") == 2


async def test_refused_code_mails_are_audited_once_per_wait(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    await add_app(app, token)
    await Authenticator.create(user_id=user.id, method=Method.EMAIL, name="Mail", name_key="mail", email=ada)
    payload = await login(app, ada)
    email_id = next(a["id"] for a in payload["authenticators"] if a["method"] == "EMAIL")
    first = await app.gql(SEND_LOGIN_CODE, {"id": email_id}, token=payload["token"])
    assert first["data"]["sendLoginCode"]["error"] is None, first
    for _ in range(3):
        again = await app.gql(SEND_LOGIN_CODE, {"id": email_id}, token=payload["token"])
        assert again["data"]["sendLoginCode"]["error"]["code"] == "RATE_LIMITED"
    assert await actions("code_send.throttled") == 1
    assert await actions("login.code_sent") == 1
    await app.mails_to(ada)


# A user's own view


async def test_a_users_own_view_hides_an_administrators_address_and_device(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    await add_app(app, token)
    assert (await login(app, ada, "not the password"))["error"]["code"] == "INVALID_CREDENTIALS"
    admin_user, admin = await signed_in(app, f"root-{ada}", admin=True)
    async with app.client() as client:
        headers = {"authorization": f"Bearer {admin}", "user-agent": "AdminBrowser/1.0"}
        response = await client.post(
            "/graphql", json={"query": RESET, "variables": {"id": str(user.id)}}, headers=headers
        )
    assert response.json()["data"]["admin"]["resetUserTwoFactor"]["error"] is None
    _, token = await signed_in_again(app, ada)

    mine: list[dict[str, Any]] = (await app.gql(MY_AUDIT, token=token))["data"]["myTwoFactor"]["auditEvents"]["events"]
    reset = next(e for e in mine if e["action"] == "two_factor.reset")
    assert reset["actorId"] == str(admin_user.id)
    assert (reset["ip"], reset["userAgent"]) == (None, None)
    own = [e for e in mine if e["actorId"] == str(user.id)]
    assert own and all(e["ip"] == CLIENT_IP for e in own)
    assert "AdminBrowser/1.0" not in str(mine)
    # A sign-in attempt in the user's name, by no one known, shows where it came from.
    failed = next(e for e in mine if e["action"] == "login.failed")
    assert (failed["actorId"], failed["ip"]) == (None, CLIENT_IP)

    # Administrators still see where the reset came from.
    seen = (await app.gql(ADMIN_AUDIT, {"userId": str(user.id)}, token=admin))["data"]["admin"]["auditEvents"]
    by_admin = next(e for e in seen["events"] if e["action"] == "two_factor.reset")
    assert (by_admin["ip"], by_admin["userAgent"]) == (CLIENT_IP, "AdminBrowser/1.0")


async def signed_in_again(app: Harness, email: str) -> tuple[dict[str, Any], str]:
    payload = await login(app, email)
    assert payload["session"]["nextStep"] == "DONE", payload
    return payload, payload["token"]
