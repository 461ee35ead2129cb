"""Administrators: the 2FA policy (and sign-in under it), resetting a user, the audit log, the CLI reset."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import (
    MY_TWO_FACTOR,
    PASSWORD,
    REDIS_URL,
    SET_UP_APP,
    SET_UP_EMAIL,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    add_app,
    create_user,
    login,
    secret_of,
    signed_in,
)

from twofactor.models import AuditEvent, Authenticator, OutboxMessage, RecoveryCode, Session, Setup
from twofactor.resolvers.notices import session_channel, user_channel
from twofactor.security import tokens, totp
from twofactor.server.events import RedisBroker

ADA = "ada@example.test"
ROOT = Path(__file__).resolve().parent.parent
TWOFACTOR = str(Path(sys.executable).parent / "twofactor")

POLICY = "{ twoFactorPolicy { mandatory enabledMethods recoveryCodesEnabled } }"
SET_POLICY = """
mutation($input: TwoFactorPolicyInput!) { admin { setTwoFactorPolicy(input: $input) {
  policy { mandatory enabledMethods recoveryCodesEnabled } error { code message field } } } }"""
RESET = """
mutation($id: ID!) { admin { resetUserTwoFactor(userId: $id) {
  user { id email } error { code message field } } } }"""
REGENERATE = "mutation { myTwoFactor { regenerateRecoveryCodes { recoveryCodes error { code } } } }"
SESSION = "{ session { nextStep expiresAt } }"
ADMIN_AUDIT = """
query($userId: ID, $first: Int!, $after: String) { admin { auditEvents(userId: $userId, first: $first, after: $after) {
  events { id action actorId targetId } nextCursor } } }"""
MY_AUDIT = "{ myTwoFactor { auditEvents(first: 100) { events { action targetId } nextCursor } } }"

DEFAULT_POLICY = {"mandatory": False, "enabledMethods": ["EMAIL", "APP"], "recoveryCodesEnabled": True}


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def set_policy(app: Harness, token: str, **change: Any) -> dict[str, Any]:
    body = await app.gql(SET_POLICY, {"input": change}, token=token)
    payload: dict[str, Any] = body["data"]["admin"]["setTwoFactorPolicy"]
    return payload


async def admin_token(app: Harness) -> tuple[int, str]:
    admin, token = await signed_in(app, "root@example.test", admin=True)
    return admin.id, token


# Policy


async def test_policy_is_readable_without_a_session(app: Harness) -> None:
    body = await app.gql(POLICY)
    assert body["data"]["twoFactorPolicy"] == DEFAULT_POLICY


async def test_only_administrators_change_the_policy(app: Harness) -> None:
    _, token = await signed_in(app)
    assert error_code(await app.gql(SET_POLICY, {"input": {"mandatory": True}}, token=token)) == "FORBIDDEN"
    assert error_code(await app.gql(SET_POLICY, {"input": {"mandatory": True}})) == "UNAUTHENTICATED"
    assert (await app.gql(POLICY))["data"]["twoFactorPolicy"] == DEFAULT_POLICY
    assert not await AuditEvent.filter(action="policy.changed").exists()


async def test_policy_change_is_audited_with_the_administrator(app: Harness) -> None:
    admin_id, token = await admin_token(app)
    payload = await set_policy(app, token, mandatory=True, recoveryCodesEnabled=False)
    assert payload["error"] is None
    assert payload["policy"] == {"mandatory": True, "enabledMethods": ["EMAIL", "APP"], "recoveryCodesEnabled": False}
    assert (await app.gql(POLICY))["data"]["twoFactorPolicy"] == payload["policy"]
    rows = await AuditEvent.filter(action="policy.changed")
    assert len(rows) == 1
    assert rows[0].actor_id == admin_id
    assert rows[0].details["before"]["mandatory"] is False
    assert rows[0].details["after"]["mandatory"] is True


async def test_no_enabled_method_is_invalid_input(app: Harness) -> None:
    _, token = await admin_token(app)
    payload = await set_policy(app, token, enabledMethods=[], mandatory=True)
    assert payload["error"]["code"] == "INVALID_INPUT"
    assert payload["error"]["field"] == "enabledMethods"
    assert payload["policy"] is None
    assert (await app.gql(POLICY))["data"]["twoFactorPolicy"] == DEFAULT_POLICY


async def test_disabling_app_blocks_app_set_ups(app: Harness) -> None:
    _, admin = await admin_token(app)
    assert (await set_policy(app, admin, enabledMethods=["EMAIL"]))["policy"]["enabledMethods"] == ["EMAIL"]
    _, token = await signed_in(app)
    payload = (await app.gql(SET_UP_APP, token=token))["data"]["myTwoFactor"]["setUpApp"]
    assert payload["error"]["code"] == "METHOD_DISABLED"
    assert payload["setup"] is None
    assert await Setup.all().count() == 0
    body = await app.gql(MY_TWO_FACTOR, token=token)
    assert body["data"]["myTwoFactor"]["availableMethods"] == ["EMAIL"]


async def test_mandatory_two_factor_makes_sign_in_a_set_up_only_session(app: Harness) -> None:
    _, admin = await admin_token(app)
    assert (await set_policy(app, admin, mandatory=True))["policy"]["mandatory"] is True
    await create_user()
    payload = await login(app)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_SETUP"
    assert payload["authenticators"] is None
    token = payload["token"]

    mine = (await app.gql(MY_TWO_FACTOR, token=token))["data"]["myTwoFactor"]
    assert mine["setupRequired"] is True and mine["mandatory"] is True and mine["enabled"] is False
    assert error_code(await app.gql(REGENERATE, token=token)) == "FORBIDDEN"
    assert error_code(await app.gql("{ admin { auditEvents { nextCursor } } }", token=token)) == "FORBIDDEN"

    setup = (await app.gql(SET_UP_APP, token=token))["data"]["myTwoFactor"]["setUpApp"]["setup"]
    code = totp.code_at(secret_of(setup), totp.current_step())
    created = await app.gql(SUBMIT, {"id": setup["id"], "code": code, "name": "Phone"}, token=token)
    assert created["data"]["myTwoFactor"]["submitCode"]["error"] is None
    # The same token is a full session now.
    assert (await app.gql(SESSION, token=token))["data"]["session"]["nextStep"] == "DONE"
    regenerated = (await app.gql(REGENERATE, token=token))["data"]["myTwoFactor"]["regenerateRecoveryCodes"]
    assert len(regenerated["recoveryCodes"]) == 10
    mine = (await app.gql(MY_TWO_FACTOR, token=token))["data"]["myTwoFactor"]
    assert mine["setupRequired"] is False and mine["enabled"] is True
    # The next sign-in asks for the new authenticator.
    assert (await login(app))["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"


async def test_an_authenticator_of_a_disabled_method_does_not_sign_in(app: Harness) -> None:
    # Its right code is refused before it is checked: no try counted, its step not claimed.
    _, token = await signed_in(app)
    result, secret, step = await add_app(app, token)
    authenticator_id = result["authenticator"]["id"]
    _, admin = await admin_token(app)
    assert (await set_policy(app, admin, enabledMethods=["EMAIL"]))["error"] is None
    challenge = (await login(app))["token"]
    variables = {"id": authenticator_id, "code": totp.code_at(secret, step + 1)}

    refused = (await app.gql(VERIFY_LOGIN, variables, token=challenge))["data"]["verifyLogin"]
    assert refused["error"]["code"] == "METHOD_DISABLED", refused
    assert refused["session"] is None
    assert (await Session.get(token_hash=tokens.token_hash(challenge))).failed_attempts == 0
    assert (await Authenticator.get(id=int(authenticator_id))).last_step == step
    # Turned on again, the same code signs in: the refusal was the policy's.
    assert (await set_policy(app, admin, enabledMethods=["EMAIL", "APP"]))["error"] is None
    passed = (await app.gql(VERIFY_LOGIN, variables, token=challenge))["data"]["verifyLogin"]
    assert passed["session"]["nextStep"] == "DONE", passed


async def test_an_email_authenticator_of_a_disabled_method_is_mailed_no_code(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    started = (await app.gql(SET_UP_EMAIL, {"name": "Mail"}, token=token))["data"]["myTwoFactor"]["setUpEmail"]
    variables = {"id": started["setup"]["id"], "code": await app.mailed_code(ada)}
    made = (await app.gql(SUBMIT, variables, token=token))["data"]["myTwoFactor"]["submitCode"]
    _, admin = await admin_token(app)
    assert (await set_policy(app, admin, enabledMethods=["APP"]))["error"] is None
    challenge = (await login(app, ada))["token"]

    send = "mutation($id: ID!) { sendLoginCode(authenticatorId: $id) { error { code } } }"
    sent = await app.gql(send, {"id": made["authenticator"]["id"]}, token=challenge)
    assert sent["data"]["sendLoginCode"]["error"]["code"] == "METHOD_DISABLED", sent
    assert not await OutboxMessage.filter(kind="login_code").exists()


async def test_mandatory_with_only_a_disabled_method_asks_for_a_recovery_code_then_a_new_set_up(app: Harness) -> None:
    _, token = await signed_in(app)
    result, _, _ = await add_app(app, token)
    _, admin = await admin_token(app)
    await set_policy(app, admin, mandatory=True, enabledMethods=["EMAIL"])
    payload = await login(app)
    # Not TWO_FACTOR_SETUP: whoever has only the password must not enroll a device of their own.
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    assert payload["authenticators"] == []
    recovery = (
        """mutation($code: String!) { verifyLoginWithRecoveryCode(code: $code) { token session { nextStep } } }"""
    )
    done = await app.gql(recovery, {"code": result["recoveryCodes"][0]}, token=payload["token"])
    assert done["data"]["verifyLoginWithRecoveryCode"]["session"]["nextStep"] == "DONE"
    token = done["data"]["verifyLoginWithRecoveryCode"]["token"]
    page = (await app.gql("{ myTwoFactor { enabled setupRequired } }", token=token))["data"]
    assert page["myTwoFactor"] == {"enabled": True, "setupRequired": True}


# Reset


async def test_only_administrators_reset_and_unknown_users_are_not_found(app: Harness) -> None:
    user, token = await signed_in(app)
    await add_app(app, token)
    _, other = await signed_in(app, "bob@example.test")
    assert error_code(await app.gql(RESET, {"id": str(user.id)}, token=other)) == "FORBIDDEN"
    assert error_code(await app.gql(RESET, {"id": str(user.id)})) == "UNAUTHENTICATED"
    assert await Authenticator.filter(user_id=user.id).count() == 1
    _, admin = await admin_token(app)
    # Ids past PostgreSQL's 32-bit integers are unknown too, not a database error.
    for unknown in ("999999", "abc", "-1", "1" * 40, "2147483648", "99999999999", "²"):
        payload = (await app.gql(RESET, {"id": unknown}, token=admin))["data"]["admin"]["resetUserTwoFactor"]
        assert payload["error"]["code"] == "NOT_FOUND", unknown
        assert payload["user"] is None


async def test_reset_removes_everything_ends_sessions_and_tells_the_user(app: Harness) -> None:
    user, token = await signed_in(app)
    await add_app(app, token)
    await app.gql(SET_UP_APP, token=token)  # a set-up left pending
    assert await RecoveryCode.filter(user_id=user.id).count() == 10
    admin_id, admin = await admin_token(app)

    payload = (await app.gql(RESET, {"id": str(user.id)}, token=admin))["data"]["admin"]["resetUserTwoFactor"]
    assert payload == {"user": {"id": str(user.id), "email": ADA}, "error": None}
    assert await Authenticator.filter(user_id=user.id).count() == 0
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    assert await Setup.filter(user_id=user.id).count() == 0
    assert await Session.filter(user_id=user.id).count() == 0
    assert error_code(await app.gql(MY_TWO_FACTOR, token=token)) == "UNAUTHENTICATED"
    assert (await app.gql(SESSION, token=admin))["data"]["session"]["nextStep"] == "DONE"

    rows = await AuditEvent.filter(action="two_factor.reset")
    assert [(r.actor_id, r.target_id) for r in rows] == [(admin_id, user.id)]
    async with asyncio.timeout(10):
        while not [m for m in app.smtp.received if m.message["Subject"] == "Your two-factor authentication was reset"]:
            await asyncio.sleep(0.02)
    notice = next(m for m in app.smtp.received if m.message["Subject"] == "Your two-factor authentication was reset")
    assert notice.rcpt_tos == [ADA]
    # With no authenticator left, the user signs in with the password alone.
    assert (await login(app))["session"]["nextStep"] == "DONE"


# Audit log


async def test_admin_audit_log_pages_by_user(app: Harness) -> None:
    user, token = await signed_in(app)
    await add_app(app, token)
    await signed_in(app, "bob@example.test")
    admin_id, admin = await admin_token(app)
    await app.gql(RESET, {"id": str(user.id)}, token=admin)

    expected = [r.id for r in await AuditEvent.filter(target_id=user.id).order_by("-id")]
    assert len(expected) >= 4
    seen: list[dict[str, Any]] = []
    after = None
    for _ in range(len(expected)):
        body = await app.gql(ADMIN_AUDIT, {"userId": str(user.id), "first": 2, "after": after}, token=admin)
        page = body["data"]["admin"]["auditEvents"]
        assert len(page["events"]) <= 2
        seen += page["events"]
        after = page["nextCursor"]
        if after is None:
            break
    assert [int(e["id"]) for e in seen] == expected
    assert {e["targetId"] for e in seen} == {str(user.id)}
    assert seen[0]["action"] == "two_factor.reset" and seen[0]["actorId"] == str(admin_id)

    for unknown in ("2147483648", "99999999999", "²", "abc"):
        body = await app.gql(ADMIN_AUDIT, {"userId": unknown, "first": 2}, token=admin)
        assert body["data"]["admin"]["auditEvents"] == {"events": [], "nextCursor": None}, unknown
        body = await app.gql(ADMIN_AUDIT, {"first": 2, "after": unknown}, token=admin)
        assert error_code(body) == "BAD_REQUEST", unknown
    _, other = await signed_in(app, "carol@example.test")
    assert error_code(await app.gql(ADMIN_AUDIT, {"first": 2}, token=other)) == "FORBIDDEN"


async def test_users_see_only_their_own_audit_events(app: Harness) -> None:
    user, token = await signed_in(app)
    await add_app(app, token)
    await signed_in(app, "bob@example.test")
    _, admin = await admin_token(app)
    await set_policy(app, admin, recoveryCodesEnabled=True)

    events = (await app.gql(MY_AUDIT, token=token))["data"]["myTwoFactor"]["auditEvents"]["events"]
    assert {e["targetId"] for e in events} == {str(user.id)}
    assert "authenticator.added" in {e["action"] for e in events}
    assert "policy.changed" not in {e["action"] for e in events}
    assert len(events) == await AuditEvent.filter(target_id=user.id).count()


# The command line


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TWOFACTOR, *args], input=stdin, env=env, cwd=env["TWOFACTOR_DATA_DIR"], capture_output=True, text=True
    )


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(
        TWOFACTOR_DATABASE_URL=f"sqlite://{tmp_path / 'cli.db'}",
        TWOFACTOR_SECRET_KEY="cli-tests-secret-key-0123456789-abcdefghijklmnop",
        TWOFACTOR_DATA_DIR=str(tmp_path),
    )
    return env


def ada_with_two_factor(tmp_path: Path, env: dict[str, str]) -> tuple[int, int]:
    """Ada, created by the command line, with an app, a recovery code and a signed-in session
    written directly in the database: (her id, the session's id)."""
    created = run_cli("user", "create", "--email", ADA, "--name", "Ada", "--password-stdin", env=env, stdin=PASSWORD)
    assert created.returncode == 0, created.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        (user_id,) = db.execute("SELECT id FROM users WHERE email = ?", (ADA,)).fetchone()
        moment = "2030-01-01 00:00:00+00:00"
        db.execute(
            "INSERT INTO authenticators (user_id, method, name, name_key, last_step, created_at) "
            "VALUES (?, 'APP', 'Phone', 'phone', 1, ?)",
            (user_id, moment),
        )
        db.execute(
            "INSERT INTO recovery_codes (user_id, code_digest, created_at) VALUES (?, 'x', ?)", (user_id, moment)
        )
        session_id = db.execute(
            "INSERT INTO sessions (token_hash, user_id, state, created_at, expires_at, failed_attempts) "
            "VALUES ('h', ?, 'done', ?, ?, 0)",
            (user_id, moment, moment),
        ).lastrowid
    db.close()
    assert session_id is not None
    return user_id, session_id


def test_cli_reset_two_factor(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    user_id, _ = ada_with_two_factor(tmp_path, env)

    reset = run_cli("user", "reset-2fa", "ADA@example.test", env=env)
    assert reset.returncode == 0, reset.stderr
    assert "reset the 2FA of ada@example.test" in reset.stdout
    assert "ended 1 session" in reset.stdout
    # In-process events: the command cannot reach a running server's subscriptions, and says when they end.
    assert "without TWOFACTOR_REDIS_URL a running server ends their live subscriptions at the next change" in (
        reset.stdout
    )
    with sqlite3.connect(tmp_path / "cli.db") as db:
        for table in ("authenticators", "recovery_codes", "sessions"):
            assert db.execute(f"SELECT count(*) FROM {table} WHERE user_id = ?", (user_id,)).fetchone() == (0,)
        audit = db.execute("SELECT actor_id, target_id FROM audit_events WHERE action = 'two_factor.reset'").fetchall()
        assert audit == [(None, user_id)]
        queued = db.execute("SELECT recipient FROM outbox WHERE kind = 'two_factor_reset'").fetchall()
        assert queued == [(ADA,)]
    db.close()

    unknown = run_cli("user", "reset-2fa", "nobody@example.test", env=env)
    assert unknown.returncode == 2
    assert "no user with the email nobody@example.test" in unknown.stderr


async def test_cli_reset_ends_the_live_subscriptions_of_running_servers_through_redis(tmp_path: Path) -> None:
    """As the API's reset does: the ended sessions' streams end, the user's pages reload."""
    prefix = f"cli-reset-{os.getpid()}"
    env = {**cli_env(tmp_path), "TWOFACTOR_REDIS_URL": REDIS_URL, "TWOFACTOR_REDIS_PREFIX": prefix}
    user_id, session_id = ada_with_two_factor(tmp_path, env)
    server = RedisBroker(REDIS_URL, f"{prefix}:")  # what a running `serve` subscribes with
    await server.start()
    try:
        assert server.connected, f"no Redis at {REDIS_URL}"
        async with server.subscribe(session_channel(session_id), user_channel(user_id)) as events:
            reset = await asyncio.to_thread(run_cli, "user", "reset-2fa", ADA, env=env)
            assert reset.returncode == 0, reset.stderr
            assert "live subscriptions were told through Redis" in reset.stdout
            async with asyncio.timeout(5):
                received = [await anext(events), await anext(events)]
    finally:
        await server.stop()
    assert received == [{"type": "ended"}, {"type": "changed"}]


async def test_a_disabled_method_does_not_turn_sign_in_into_password_only(app: Harness) -> None:
    """Attack case 20: the user's only factor was turned off; the password alone is not enough."""
    from helpers import add_app, login

    from twofactor.models import Policy

    _, token = await signed_in(app)
    result, _, _ = await add_app(app, token)
    policy = await Policy.current()
    policy.app_enabled = False
    await policy.save()

    payload = await login(app)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    assert payload["authenticators"] == []
    challenge = payload["token"]
    body = await app.gql("{ myTwoFactor { enabled } }", token=challenge)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    recovery = """mutation($code: String!) { verifyLoginWithRecoveryCode(code: $code) {
      session { nextStep } error { code } } }"""
    done = await app.gql(recovery, {"code": result["recoveryCodes"][0]}, token=challenge)
    assert done["data"]["verifyLoginWithRecoveryCode"]["session"]["nextStep"] == "DONE"
