"""The security review's findings (commit 82fda07), each pinned by a test that failed before the fix,
and rules of the sign-in and removal paths that had no test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from helpers import (
    LOGIN,
    MY_TWO_FACTOR,
    PASSWORD,
    SET_UP_APP,
    SET_UP_EMAIL,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    add_app,
    create_user,
    login,
    names,
    remove,
    secret_of,
    signed_in,
    signed_in_again,
)
from starlette.requests import Request

from twofactor.models import (
    AuditEvent,
    Authenticator,
    EmailChallenge,
    Method,
    OutboxMessage,
    Policy,
    RecoveryCode,
    Session,
    SessionState,
    Setup,
    User,
    raw_sql,
)
from twofactor.resolvers.code_checks import recovery_digest
from twofactor.security import tokens, totp
from twofactor.security.rules import ATTEMPTS_PER_VERIFICATION, RESEND_COOLDOWN, USER_FAILURES_BEFORE_WAIT
from twofactor.server.context import client_ip, now

CLIENT_ADDRESS = "203.0.113.7"  # what Harness.client gives as the ASGI client
SETUP_SUBJECT = "Confirm your new email authenticator"
SIGN_IN_SUBJECT = "Your sign-in code"
RECOVERY_USED_SUBJECT = "A recovery code was used on your account"

SET_UP_APP_WITH_CODE = """
mutation($code: String) { myTwoFactor { setUpApp(code: $code) {
  setup { id status method app { setupKey } }
  error { code message field retryAfterSeconds }
} } }"""

SET_UP_EMAIL_WITH_CODE = """
mutation($name: String!, $code: String) { myTwoFactor { setUpEmail(name: $name, code: $code) {
  setup { id status method name }
  error { code message field retryAfterSeconds }
} } }"""


RESET = """
mutation($id: ID!) { admin { resetUserTwoFactor(userId: $id) {
  user { id } error { code message } } } }"""

SEND_LOGIN_CODE = """
mutation($id: ID!) { sendLoginCode(authenticatorId: $id) {
  expiresAt error { code message retryAfterSeconds } } }"""

SESSION = "{ session { nextStep } }"

MY_AUDIT = """
query($first: Int!, $after: String) { myTwoFactor { auditEvents(first: $first, after: $after) {
  events { action ip userAgent details } nextCursor } } }"""


# Helpers


def error_code(body: dict[str, Any]) -> str:
    """The extensions.code of the first GraphQL error."""
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def wrong_totp(secret: str, step: int) -> str:
    """Six digits that are no code of this secret anywhere near `step`."""
    near = {totp.code_at(secret, s) for s in range(step - 3, step + 5)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in near)


async def stale(app: Harness, token: str) -> None:
    """The session proved its last factor a minute before the fresh window began."""
    moment = now() - app.settings.fresh_factor_window - timedelta(minutes=1)
    assert await Session.filter(token_hash=tokens.token_hash(token)).update(second_factor_at=moment) == 1


async def session_row(token: str) -> Session | None:
    return await Session.get_or_none(token_hash=tokens.token_hash(token))


async def live_session(token: str) -> Session:
    row = await session_row(token)
    assert row is not None, "the session was ended"
    return row


async def make_mandatory() -> None:
    await Policy.current()
    await Policy.filter().update(mandatory=True)
    Policy.forget_cached()


async def set_up_app(app: Harness, token: str, code: str | None = None) -> dict[str, Any]:
    # Without a code, the document clients sent before the argument existed.
    if code is None:
        body = await app.gql(SET_UP_APP, token=token)
    else:
        body = await app.gql(SET_UP_APP_WITH_CODE, {"code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["setUpApp"]
    return payload


async def set_up_email(app: Harness, token: str, name: str, code: str | None = None) -> dict[str, Any]:
    if code is None:
        body = await app.gql(SET_UP_EMAIL, {"name": name}, token=token)
    else:
        body = await app.gql(SET_UP_EMAIL_WITH_CODE, {"name": name, "code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["setUpEmail"]
    return payload


async def verify(app: Harness, token: str, authenticator_id: str, code: str) -> dict[str, Any]:
    body = await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["verifyLogin"]
    return payload


async def challenge(app: Harness, email: str) -> str:
    payload = await login(app, email)
    assert payload["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE", payload
    token: str = payload["token"]
    return token


async def elsewhere(app: Harness, email: str, authenticator_id: str, secret: str, step: int) -> str:
    """Another full session of the user, signed in with the app's code of `step` + 1, made stale:
    one that was not shown the recovery codes of the set-up."""
    token = await signed_in_again(app, email, authenticator_id, secret, step)
    await stale(app, token)
    return token


async def mail_code(app: Harness, address: str, subject: str, nth: int = 1, timeout: float = 10) -> str:
    """The six-digit code of the `nth` message to `address` with this subject."""
    message = (await mails(app, address, subject, nth, timeout))[nth - 1]
    match = re.search(r"\b(\d{6})\b", message.part("text/plain"))
    assert match, "no code in the message"
    return match.group(1)


async def mails(app: Harness, address: str, subject: str, count: int = 1, timeout: float = 10) -> list[Any]:
    async with asyncio.timeout(timeout):
        while True:
            found = [m for m in app.smtp.received if address in m.rcpt_tos and m.message["Subject"] == subject]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)


async def allow_next_send(user_id: int) -> None:
    """Let the resend cooldown of the user's set-ups and sign-in challenges pass."""
    await Setup.filter(user_id=user_id).update(resend_available_at=datetime.now(UTC))
    sessions = await Session.filter(user_id=user_id).values_list("id", flat=True)
    await EmailChallenge.filter(session_id__in=list(sessions)).update(created_at=datetime.now(UTC) - RESEND_COOLDOWN)


async def add_email(app: Harness, user: User, token: str, name: str, nth: int) -> str:
    """Set up an EMAIL authenticator named `name` (the user's `nth` set-up mail); its id."""
    await allow_next_send(user.id)
    started = await set_up_email(app, token, name)
    assert started["error"] is None, started
    code = await mail_code(app, user.email, SETUP_SUBJECT, nth)
    body = await app.gql(SUBMIT, {"id": started["setup"]["id"], "code": code}, token=token)
    created = body["data"]["myTwoFactor"]["submitCode"]
    assert created["error"] is None, created
    authenticator_id: str = created["authenticator"]["id"]
    return authenticator_id


# 1. Adding a factor to an account that has one needs a fresh factor


async def test_a_stale_session_needs_a_fresh_code_to_add_an_authenticator(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    _, phone_secret, phone_step = await add_app(app, token, "Phone")
    _, laptop_secret, laptop_step = await add_app(app, token, "Laptop")
    await stale(app, token)
    setups_before = await Setup.filter(user_id=user.id).count()

    needs = await set_up_app(app, token)
    assert needs["setup"] is None
    assert needs["error"]["code"] == "FRESH_CODE_REQUIRED"
    needs = await set_up_email(app, token, "Mail")
    assert needs["setup"] is None
    assert (needs["error"]["code"], needs["error"]["field"]) == ("FRESH_CODE_REQUIRED", "code")
    # An explicit null is no code either.
    body = await app.gql(SET_UP_APP_WITH_CODE, {"code": None}, token=token)
    needs = body["data"]["myTwoFactor"]["setUpApp"]
    assert (needs["error"]["code"], needs["error"]["field"]) == ("FRESH_CODE_REQUIRED", "code")
    body = await app.gql(SET_UP_EMAIL_WITH_CODE, {"name": "Mail", "code": None}, token=token)
    assert body["data"]["myTwoFactor"]["setUpEmail"]["error"]["code"] == "FRESH_CODE_REQUIRED"
    for junk in (wrong_totp(phone_secret, phone_step), "abcdef"):
        assert (await set_up_app(app, token, junk))["error"]["code"] == "INVALID_CODE", junk
        assert (await set_up_email(app, token, "Mail", junk))["error"]["code"] == "INVALID_CODE", junk
    # The set-up's own code, used already, has its own answer.
    used = totp.code_at(phone_secret, phone_step)
    assert (await set_up_app(app, token, used))["error"]["code"] == "CODE_ALREADY_USED"
    assert (await set_up_email(app, token, "Mail", used))["error"]["code"] == "CODE_ALREADY_USED"
    # Nothing was started and no code mail queued.
    assert await Setup.filter(user_id=user.id).count() == setups_before
    assert not await OutboxMessage.filter(kind="setup_code").exists()
    assert await AuditEvent.filter(action="setup.started").count() == setups_before
    proved_at = (await live_session(token)).second_factor_at
    assert proved_at is not None and proved_at < now() - app.settings.fresh_factor_window  # refusals refresh nothing

    # A current code of either authenticator does it.
    started = await set_up_app(app, token, totp.code_at(phone_secret, phone_step + 1))
    assert started["error"] is None, started
    assert started["setup"]["method"] == "APP" and started["setup"]["app"]["setupKey"]
    await stale(app, token)
    started = await set_up_email(app, token, "Mail", totp.code_at(laptop_secret, laptop_step + 1))
    assert started["error"] is None, started  # the refusals above took no code mail of the allowance
    assert started["setup"]["name"] == "Mail"
    assert await OutboxMessage.filter(kind="setup_code").count() == 1
    await mails(app, ada, SETUP_SUBJECT)


async def test_a_stale_session_cannot_enroll_its_own_app_and_then_remove_the_users(app: Harness, ada: str) -> None:
    # The review's attack: a stolen week-old session adds its own app (that proved a factor, so
    # the session was fresh again) and then removed the user's authenticators without any code.
    user, token = await signed_in(app, ada)
    phone, _, _ = await add_app(app, token, "Phone")
    laptop, laptop_secret, laptop_step = await add_app(app, token, "Laptop")
    await stale(app, token)

    refused = await set_up_app(app, token)
    assert refused["setup"] is None
    assert refused["error"]["code"] == "FRESH_CODE_REQUIRED"
    for victim in (phone, laptop):
        assert (await remove(app, token, victim["authenticator"]["id"]))["error"]["code"] == "FRESH_CODE_REQUIRED"
    assert await names(user.id) == ["Phone", "Laptop"]
    assert await Setup.filter(user_id=user.id).count() == 2  # the two real set-ups only

    # Not with the recovery codes this very session was shown: it would need no factor at all.
    own = await set_up_app(app, token, phone["recoveryCodes"][0])
    assert (own["error"]["code"], own["error"]["field"]) == ("FRESH_CODE_REQUIRED", "code")
    assert "authenticator" in own["error"]["message"]
    assert await RecoveryCode.filter(user_id=user.id, used_at__isnull=True).count() == 10
    # The user, who holds a recovery code, may add one from another device (and is told a recovery code was used).
    other = await elsewhere(app, ada, laptop["authenticator"]["id"], laptop_secret, laptop_step)
    started = await set_up_app(app, other, code=phone["recoveryCodes"][0])
    assert started["error"] is None, started
    assert await OutboxMessage.filter(kind="recovery_code_used", recipient=ada).count() == 1


async def test_no_code_is_needed_without_an_authenticator_or_within_the_window(app: Harness, ada: str) -> None:
    # No authenticator yet: nothing to prove, however old the session.
    user, token = await signed_in(app, ada)
    await stale(app, token)
    assert (await set_up_app(app, token))["error"] is None
    started = await set_up_email(app, token, "Mail")
    assert started["error"] is None, started
    await mails(app, ada, SETUP_SUBJECT)

    # With an authenticator, inside the window (a minute before it ends).
    other, other_token = await signed_in(app, f"other-{ada}")
    await add_app(app, other_token, "Phone")
    moment = now() - app.settings.fresh_factor_window + timedelta(minutes=1)
    await Session.filter(token_hash=tokens.token_hash(other_token)).update(second_factor_at=moment)
    assert (await set_up_app(app, other_token))["error"] is None
    await allow_next_send(other.id)
    assert (await set_up_email(app, other_token, "Mail"))["error"] is None
    assert await Setup.filter(user_id__in=(user.id, other.id)).count() == 5


# 2. A password-only set-up session is outdated once the user has 2FA


async def test_finishing_a_set_up_ends_the_users_other_set_up_only_sessions(app: Harness, ada: str) -> None:
    user = await create_user(ada)
    await make_mandatory()
    a, b = await login(app, ada), await login(app, ada)
    assert a["session"]["nextStep"] == b["session"]["nextStep"] == "TWO_FACTOR_SETUP"

    await add_app(app, a["token"], "A phone")
    assert (await app.gql(SESSION, token=a["token"]))["data"]["session"]["nextStep"] == "DONE"
    assert (await app.gql(SESSION, token=b["token"]))["data"]["session"] is None
    assert error_code(await app.gql(MY_TWO_FACTOR, token=b["token"])) == "UNAUTHENTICATED"
    assert error_code(await app.gql(SET_UP_APP, token=b["token"])) == "UNAUTHENTICATED"
    assert await session_row(b["token"]) is None
    assert await names(user.id) == ["A phone"]
    # A new sign-in must answer the challenge.
    assert (await login(app, ada))["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"


async def test_a_set_up_started_before_another_session_finished_cannot_complete(app: Harness, ada: str) -> None:
    user = await create_user(ada)
    await make_mandatory()
    a, b = await login(app, ada), await login(app, ada)
    b_setup = (await set_up_app(app, b["token"]))["setup"]

    await add_app(app, a["token"], "A phone")
    body = await app.gql(
        SUBMIT,
        {"id": b_setup["id"], "code": totp.code_at(secret_of(b_setup), totp.current_step()), "name": "B phone"},
        token=b["token"],
    )
    assert error_code(body) == "UNAUTHENTICATED"
    assert await names(user.id) == ["A phone"]
    assert (await app.gql(SESSION, token=b["token"]))["data"]["session"] is None


async def test_a_set_up_only_session_whose_user_got_2fa_meanwhile_is_ended_at_submit(app: Harness, ada: str) -> None:
    # The other session's authenticator lands after this request authenticated (as in a race, or
    # from another server process): the set-up's own transaction must notice.
    user = await create_user(ada)
    await make_mandatory()
    b = await login(app, ada)
    b_setup = (await set_up_app(app, b["token"]))["setup"]
    await Authenticator.create(user_id=user.id, method=Method.APP, name="A phone", name_key="a phone")

    body = await app.gql(
        SUBMIT,
        {"id": b_setup["id"], "code": totp.code_at(secret_of(b_setup), totp.current_step()), "name": "B phone"},
        token=b["token"],
    )
    assert error_code(body) == "UNAUTHENTICATED"
    assert await names(user.id) == ["A phone"]
    assert await session_row(b["token"]) is None
    assert await AuditEvent.filter(action="session.ended_outdated_setup", target_id=user.id).count() == 1
    assert not await AuditEvent.filter(action="authenticator.added").exists()


async def test_a_set_up_only_session_sets_up_a_first_factor_with_its_recovery_codes(app: Harness, ada: str) -> None:
    """A set-up-only session finishes its set-up in a transaction (it must be able to undo it):
    on PostgreSQL the statement that wins the set-up says how many factors the user had, and
    the recovery codes shown are the ones stored."""
    user = await create_user(ada)
    await make_mandatory()
    token = (await login(app, ada))["token"]
    setup = (await set_up_app(app, token))["setup"]
    code = totp.code_at(secret_of(setup), totp.current_step())
    result = (await app.gql(SUBMIT, {"id": setup["id"], "code": code, "name": "Phone"}, token=token))["data"]
    payload = result["myTwoFactor"]["submitCode"]
    assert payload["error"] is None, payload
    assert payload["message"] == "Two-factor authentication is set up."
    keyring = app.app.state.services.keyring
    shown = {recovery_digest(keyring, user.id, shown_code) for shown_code in payload["recoveryCodes"]}
    assert len(shown) == 10
    assert {row.code_digest for row in await RecoveryCode.filter(user_id=user.id)} == shown


async def test_parallel_set_ups_of_two_set_up_only_sessions_leave_one_authenticator(app: Harness, ada: str) -> None:
    for round_ in range(3):
        address = f"{round_}-{ada}"
        user = await create_user(address)
        if round_ == 0:
            await make_mandatory()
        sessions = [await login(app, address), await login(app, address)]
        setups = [(await set_up_app(app, s["token"]))["setup"] for s in sessions]
        step = totp.current_step()
        results = await asyncio.gather(
            *(
                app.gql(
                    SUBMIT,
                    {"id": setup["id"], "code": totp.code_at(secret_of(setup), step), "name": name},
                    token=s["token"],
                )
                for s, setup, name in zip(sessions, setups, ("A phone", "B phone"), strict=True)
            )
        )
        won = [r for r in results if "errors" not in r and r["data"]["myTwoFactor"]["submitCode"]["error"] is None]
        lost = [r for r in results if "errors" in r]
        assert len(won) == 1 and len(lost) == 1, results
        assert error_code(lost[0]) == "UNAUTHENTICATED"
        assert len(await names(user.id)) == 1
        assert await Session.filter(user_id=user.id).count() == 1


# 3. An administrator's reset and a set-up being completed


async def lock_waiters(watcher: asyncpg.Connection, count: int) -> None:
    """Wait until `count` backends of this database wait for a lock."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    async with asyncio.timeout(10):
        while await watcher.fetchval(sql) < count:
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def holding(
    app: Harness, sql: str, *args: Any
) -> AsyncIterator[tuple[Any, asyncpg.Connection, asyncpg.Connection]]:
    """A connection of the test (the third value) holding the rows `sql` locks until its
    transaction (the first value) ends, and another connection to watch for lock waits."""
    holder = await asyncpg.connect(app.settings.database_url)
    watcher = await asyncpg.connect(app.settings.database_url)
    try:
        hold = holder.transaction()
        await hold.start()
        await holder.execute(sql, *args)
        yield hold, watcher, holder
    finally:
        await holder.close()
        await watcher.close()


@pytest.mark.postgres_only
async def test_a_reset_waits_for_a_set_up_being_completed_and_removes_what_it_made(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    setup = (await set_up_app(app, token))["setup"]
    session = await live_session(token)
    _, admin = await signed_in(app, "root@example.test", admin=True)

    # A connection of the test holds the submitting session's row: the real submitCode then stops inside its
    # transaction, after it created the authenticator and before its commit (at "the session proved a factor").
    session_row = 'SELECT 1 FROM "sessions" WHERE "id" = $1 FOR UPDATE'
    async with holding(app, session_row, session.id) as (hold, watcher, _):
        code = totp.code_at(secret_of(setup), totp.current_step())
        submit = asyncio.create_task(app.gql(SUBMIT, {"id": setup["id"], "code": code, "name": "Late"}, token=token))
        await lock_waiters(watcher, 1)
        reset = asyncio.create_task(app.gql(RESET, {"id": str(user.id)}, token=admin))
        await lock_waiters(watcher, 2)  # the reset is blocked too, while the set-up has not committed
        await hold.rollback()
        submitted, reset_body = await asyncio.gather(submit, reset)

    # The set-up committed first (its lock was taken first); the reset then removed what it made.
    assert submitted["data"]["myTwoFactor"]["submitCode"]["error"] is None, submitted
    assert reset_body["data"]["admin"]["resetUserTwoFactor"]["error"] is None, reset_body
    assert await names(user.id) == []
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    assert await Setup.filter(user_id=user.id).count() == 0
    assert await Session.filter(user_id=user.id).count() == 0
    assert (await login(app, ada))["session"]["nextStep"] == "DONE"


@pytest.mark.postgres_only
async def test_a_code_check_beside_a_reset_gets_a_clear_answer(
    app: Harness, ada: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A reset locks the user, then the authenticators and the sessions; a code check counts the
    user's failure, claims the step and takes the challenge's try in one PostgreSQL statement
    that locks the rows in that same order (models/attempts.py), so it cannot cross the reset:
    it waits for the user's row, then gets a clear answer (its session is gone), not an
    unexpected error. (A statement that held the session's row while waiting for the user's
    crossed the reset, and the deadlock was run again.)"""
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token)
    authenticator_id = phone["authenticator"]["id"]
    pending = (await login(app, ada))["token"]
    _, admin = await signed_in(app, "root@example.test", admin=True)

    authenticator_row = 'SELECT 1 FROM "authenticators" WHERE "id" = $1 FOR UPDATE'
    async with holding(app, authenticator_row, int(authenticator_id)) as (hold, watcher, _):
        reset = asyncio.create_task(app.gql(RESET, {"id": str(user.id)}, token=admin))
        await lock_waiters(watcher, 1)  # the reset holds the user's row and waits for the authenticator's
        code = totp.code_at(secret, step + 1)
        check = asyncio.create_task(app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": code}, token=pending))
        await lock_waiters(watcher, 2)  # the code check waits for the user's row, its first
        with caplog.at_level(logging.WARNING, logger="twofactor"):
            await hold.rollback()  # the reset goes on to the sessions, none of which is held
            reset_body, check_body = await asyncio.gather(reset, check)

    assert reset_body["data"]["admin"]["resetUserTwoFactor"]["error"] is None, reset_body
    # The session the code was for is gone with the reset: a clear answer, not an unexpected error.
    assert "INTERNAL_SERVER_ERROR" not in str(check_body), check_body
    assert not any("deadlock" in record.getMessage() for record in caplog.records)  # nothing crossed
    assert await names(user.id) == []
    assert await Session.filter(user_id=user.id).count() == 0


@contextlib.asynccontextmanager
async def a_reset_the_test_crosses(
    app: Harness, ada: str
) -> AsyncIterator[tuple[User, asyncio.Task[dict[str, Any]], Any, asyncpg.Connection, asyncpg.Connection]]:
    """An administrator's reset of `ada` (with an authenticator app), started while the test's
    connection holds the row of her signed-in session: the reset takes her user's row, then
    waits for the session's. The test's deadlock_timeout is longer than the server's, so when
    the test then crosses it, the reset is the side PostgreSQL ends.

    Yields the user, the reset's task, and `holding`'s transaction and connections."""
    assert app.backend == "postgres", "a test that crosses a reset is marked postgres_only"
    user, token = await signed_in(app, ada)
    await add_app(app, token)
    session = await live_session(token)
    _, admin = await signed_in(app, "root@example.test", admin=True)
    session_lock = 'SELECT 1 FROM "sessions" WHERE "id" = $1 FOR UPDATE'
    async with holding(app, session_lock, session.id) as (hold, watcher, holder):
        await holder.execute("SET LOCAL deadlock_timeout = '30s'")
        reset = asyncio.create_task(app.gql(RESET, {"id": str(user.id)}, token=admin))
        yield user, reset, hold, watcher, holder


@pytest.mark.postgres_only
async def test_a_reset_ended_by_a_deadlock_runs_again(app: Harness, ada: str, caplog: pytest.LogCaptureFixture) -> None:
    """The other side of that crossing: when PostgreSQL ends the reset's transaction instead,
    it ran on the rows the other side now holds, so it runs again (not an unexpected error).

    The other side is the test's connection, locking a session's row, then the user's."""
    async with a_reset_the_test_crosses(app, ada) as (user, reset, hold, watcher, holder):
        await lock_waiters(watcher, 1)  # the reset holds the user's row and waits for the session's
        with caplog.at_level(logging.WARNING, logger="twofactor"):
            # Granted once PostgreSQL has ended the reset's transaction (after 1 s).
            await holder.execute('SELECT 1 FROM "users" WHERE "id" = $1 FOR UPDATE', user.id)
            await lock_waiters(watcher, 1)  # the reset's second run waits for the test's rows
            await hold.rollback()
            reset_body = await reset

    assert reset_body["data"]["admin"]["resetUserTwoFactor"]["error"] is None, reset_body
    assert any("transaction was ended to break a deadlock" in r.getMessage() for r in caplog.records)
    assert await names(user.id) == []
    assert await Session.filter(user_id=user.id).count() == 0
    assert await AuditEvent.filter(action="two_factor.reset", target_id=user.id).count() == 1
    assert await OutboxMessage.filter(kind="two_factor_reset", recipient=ada).count() == 1


async def waiting_for(watcher: asyncpg.Connection, xid: str) -> None:
    """Wait until a backend waits for the transaction `xid` to end (for a row it locked)."""
    sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1"
    async with asyncio.timeout(10):
        while not await watcher.fetchval(sql, xid):
            await asyncio.sleep(0.01)


@pytest.mark.postgres_only
async def test_a_reset_ended_by_two_deadlocks_in_a_row_runs_a_third_time(
    app: Harness, ada: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The other side may cross the reset again on its next run: each run is ended in turn, up
    to `DEADLOCK_ATTEMPTS` (the test's connection holds a session's row and takes the user's
    twice, each time in a savepoint it then rolls back)."""
    assert raw_sql.DEADLOCK_ATTEMPTS == 3
    async with a_reset_the_test_crosses(app, ada) as (user, reset, hold, watcher, holder):
        own = "SELECT transactionid::text FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'transactionid'"
        holding_xid = await holder.fetchval(own)
        await waiting_for(watcher, holding_xid)  # the reset holds the user's row and waits for the session's
        with caplog.at_level(logging.WARNING, logger="twofactor"):
            for _ in range(2):
                await holder.execute("SAVEPOINT crossing")
                # Granted once PostgreSQL has ended the reset's run (after 1 s).
                await holder.execute('SELECT 1 FROM "users" WHERE "id" = $1 FOR UPDATE', user.id)
                # The user's row is free again: the reset's next run takes it and waits for the session's.
                await holder.execute("ROLLBACK TO SAVEPOINT crossing")
                await waiting_for(watcher, holding_xid)
            await hold.rollback()
            reset_body = await reset

    assert reset_body["data"]["admin"]["resetUserTwoFactor"]["error"] is None, reset_body
    ended = [r for r in caplog.records if "transaction was ended to break a deadlock" in r.getMessage()]
    assert len(ended) == 2, [r.getMessage() for r in ended]
    assert await names(user.id) == []
    assert await AuditEvent.filter(action="two_factor.reset", target_id=user.id).count() == 1


async def test_the_authenticator_count_follows_every_change(app: Harness, ada: str) -> None:
    """`users.authenticator_count`, kept by the database's triggers (PostgreSQL's one-statement
    set-up reads it), is the number of the user's authenticators after every kind of change."""
    user, token = await signed_in(app, ada)
    other, other_token = await signed_in(app, "grace@example.test")
    await add_app(app, other_token)

    async def counted(expected: int) -> None:
        stored = (await User.get(id=user.id)).authenticator_count
        assert stored == await Authenticator.filter(user_id=user.id).count() == expected

    await counted(0)
    phone, _, _ = await add_app(app, token, "Phone")
    await counted(1)
    await add_app(app, token, "Laptop")
    await counted(2)
    assert (await remove(app, token, phone["authenticator"]["id"]))["error"] is None
    await counted(1)
    # Rows written by other means than the service's resolvers count too.
    extra = await Authenticator.create(user_id=user.id, method=Method.EMAIL, name="Work", name_key="work", email=ada)
    await counted(2)
    await Authenticator.filter(id=extra.id).delete()
    await counted(1)
    _, admin = await signed_in(app, "root@example.test", admin=True)
    reset = await app.gql(RESET, {"id": str(user.id)}, token=admin)
    assert reset["data"]["admin"]["resetUserTwoFactor"]["error"] is None
    await counted(0)
    assert (await User.get(id=other.id)).authenticator_count == 1


# 4. A recovery code confirming a removal is reported to the user


async def test_a_removal_confirmed_with_a_recovery_code_mails_the_user(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    laptop, _, _ = await add_app(app, token, "Laptop")
    token = await elsewhere(app, ada, phone["authenticator"]["id"], secret, step)

    assert (await remove(app, token, laptop["authenticator"]["id"], phone["recoveryCodes"][0]))["error"] is None
    assert await OutboxMessage.filter(kind="recovery_code_used", recipient=ada).count() == 1
    notice = (await mails(app, ada, RECOVERY_USED_SUBJECT))[0]
    assert "9 recovery codes left" in notice.part("text/plain")
    assert phone["recoveryCodes"][0] not in notice.part("text/plain")
    assert await names(user.id) == ["Phone"]


async def test_removing_the_last_authenticator_with_a_recovery_code_reports_none_left(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    token = await elsewhere(app, ada, phone["authenticator"]["id"], secret, step)

    assert (await remove(app, token, phone["authenticator"]["id"], phone["recoveryCodes"][0]))["error"] is None
    # The count is taken once the removal (which drops the recovery codes with the last factor) is made.
    notice = (await mails(app, ada, RECOVERY_USED_SUBJECT))[0]
    assert "no recovery codes left" in notice.part("text/plain")


# 5. The client address


async def test_a_spoofed_x_forwarded_for_is_not_the_client_address(
    app: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even where the deployment trusts proxy headers (uvicorn already applied them to the ASGI client).
    services = app.app.state.services
    monkeypatch.setattr(services, "settings", replace(services.settings, trusted_proxies=True))
    user = await create_user()
    transport = httpx.ASGITransport(app=app.app, client=(CLIENT_ADDRESS, 50000))
    headers = {"X-Forwarded-For": "6.6.6.6, 10.0.0.1"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as client:
        response = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": user.email, "password": PASSWORD}}
        )
    token = response.json()["data"]["login"]["token"]
    rows = await AuditEvent.filter(action="login.password_ok")
    assert [r.ip for r in rows] == [CLIENT_ADDRESS]
    assert (await live_session(token)).ip == CLIENT_ADDRESS

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"x-forwarded-for", b"6.6.6.6")],
        "client": (CLIENT_ADDRESS, 50000),
    }
    assert client_ip(Request(scope)) == CLIENT_ADDRESS


# 6. Own audit log: full sessions only, bad pages are the caller's error


async def test_a_set_up_only_session_cannot_read_the_audit_log(app: Harness, ada: str) -> None:
    await create_user(ada)
    await make_mandatory()
    setting_up = await login(app, ada)
    assert setting_up["session"]["nextStep"] == "TWO_FACTOR_SETUP"
    body = await app.gql(MY_AUDIT, {"first": 10}, token=setting_up["token"])
    assert error_code(body) == "FORBIDDEN"
    assert body["data"] is None
    # It may still set up (the rest of myTwoFactor stays open to it).
    assert (await app.gql(MY_TWO_FACTOR, token=setting_up["token"]))["data"]["myTwoFactor"]["setupRequired"] is True


async def test_bad_audit_pages_are_bad_requests(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    for variables in ({"first": 0}, {"first": 101}, {"first": -1}, {"first": 10, "after": "x"}):
        body = await app.gql(MY_AUDIT, variables, token=token)
        assert error_code(body) == "BAD_REQUEST", variables
    page = (await app.gql(MY_AUDIT, {"first": 10}, token=token))["data"]["myTwoFactor"]["auditEvents"]
    assert [e["action"] for e in page["events"]] == ["login.password_ok"]


# 7. Parallel requests at the limit: one lock, one audit row


async def test_parallel_wrong_codes_at_the_limit_write_one_lock_row(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    pending = await challenge(app, ada)
    await Session.filter(token_hash=tokens.token_hash(pending)).update(failed_attempts=ATTEMPTS_PER_VERIFICATION - 1)
    wrong = wrong_totp(secret, step)
    results = await asyncio.gather(
        *(app.gql(VERIFY_LOGIN, {"id": phone["authenticator"]["id"], "code": wrong}, token=pending) for _ in range(10))
    )
    assert not any((r.get("data") or {}).get("verifyLogin", {}).get("session") for r in results), results
    assert await AuditEvent.filter(action="login.locked", target_id=user.id).count() == 1
    assert await session_row(pending) is None


# 8. A method administrators turned off proves nothing for a removal


async def test_a_disabled_method_does_not_confirm_a_removal(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    laptop, laptop_secret, laptop_step = await add_app(app, token, "Laptop")
    # A session that was not shown the recovery codes.
    token = await elsewhere(app, ada, laptop["authenticator"]["id"], laptop_secret, laptop_step)
    await Policy.current()
    await Policy.filter().update(app_enabled=False)
    Policy.forget_cached()

    current = totp.code_at(secret, step + 1)
    refused = await remove(app, token, laptop["authenticator"]["id"], current)
    assert refused["removedId"] is None
    assert refused["error"]["code"] == "INVALID_CODE"
    assert await names(user.id) == ["Phone", "Laptop"]
    assert (await Authenticator.get(id=int(phone["authenticator"]["id"]))).last_step == step  # not used up
    # A recovery code still does.
    assert (await remove(app, token, laptop["authenticator"]["id"], phone["recoveryCodes"][0]))["error"] is None
    assert await names(user.id) == ["Phone"]

    # The refused code was a right one: with the method back on, it confirms.
    await Policy.filter().update(app_enabled=True)
    Policy.forget_cached()
    await stale(app, token)
    assert (await remove(app, token, phone["authenticator"]["id"], current))["error"] is None
    assert await names(user.id) == []


# 9. Removal codes count toward the user's failures in a row


async def test_wrong_removal_codes_rate_limit_the_user(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    await stale(app, token)
    wrong = wrong_totp(secret, step)
    for _ in range(USER_FAILURES_BEFORE_WAIT):
        assert (await remove(app, token, phone["authenticator"]["id"], wrong))["error"]["code"] == "INVALID_CODE"
    assert (await User.get(id=user.id)).failed_verifications == USER_FAILURES_BEFORE_WAIT

    right = totp.code_at(secret, step + 1)
    limited = await remove(app, token, phone["authenticator"]["id"], right)
    assert limited["removedId"] is None
    assert limited["error"]["code"] == "RATE_LIMITED", limited
    assert 0 < limited["error"]["retryAfterSeconds"] <= 30
    assert await names(user.id) == ["Phone"]
    assert (await Authenticator.get(id=int(phone["authenticator"]["id"]))).last_step == step  # not checked
    # It also holds at sign-in.
    limited = await verify(app, await challenge(app, ada), phone["authenticator"]["id"], right)
    assert limited["error"]["code"] == "RATE_LIMITED"


# 10.-12. Sign-in codes


async def test_an_expired_email_sign_in_code_is_refused(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    mail_id = await add_email(app, user, token, "Mail", 1)
    await allow_next_send(user.id)
    pending = await challenge(app, ada)
    assert (await app.gql(SEND_LOGIN_CODE, {"id": mail_id}, token=pending))["data"]["sendLoginCode"]["error"] is None
    code = await mail_code(app, ada, SIGN_IN_SUBJECT)
    session = await live_session(pending)
    moved = await EmailChallenge.filter(session_id=session.id).update(expires_at=now() - timedelta(seconds=1))
    assert moved == 1

    expired = await verify(app, pending, mail_id, code)
    assert expired["error"]["code"] == "INVALID_CODE"
    assert expired["session"] is None
    assert (await live_session(pending)).state == SessionState.CHALLENGE
    # A new code works: the refusal was the expiry.
    await allow_next_send(user.id)
    assert (await app.gql(SEND_LOGIN_CODE, {"id": mail_id}, token=pending))["data"]["sendLoginCode"]["error"] is None
    fresh = await mail_code(app, ada, SIGN_IN_SUBJECT, 2)
    assert (await verify(app, pending, mail_id, fresh))["session"]["nextStep"] == "DONE"


async def test_an_email_sign_in_code_is_bound_to_its_authenticator(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    first = await add_email(app, user, token, "Mail A", 1)
    second = await add_email(app, user, token, "Mail B", 2)
    await allow_next_send(user.id)
    pending = await challenge(app, ada)
    assert (await app.gql(SEND_LOGIN_CODE, {"id": first}, token=pending))["data"]["sendLoginCode"]["error"] is None
    code = await mail_code(app, ada, SIGN_IN_SUBJECT)

    wrong_one = await verify(app, pending, second, code)
    assert wrong_one["error"]["code"] == "INVALID_CODE"
    assert wrong_one["session"] is None
    rows = await AuditEvent.filter(action="login.factor_failed")
    assert [r.details for r in rows] == [{"method": "EMAIL"}]
    assert (await verify(app, pending, first, code))["session"]["nextStep"] == "DONE"


async def test_a_failed_sign_in_code_writes_one_audit_row_without_the_code(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    phone, secret, step = await add_app(app, token, "Phone")
    pending = await challenge(app, ada)
    wrong = wrong_totp(secret, step)
    assert (await verify(app, pending, phone["authenticator"]["id"], wrong))["error"]["code"] == "INVALID_CODE"

    rows = await AuditEvent.filter(action="login.factor_failed")
    assert len(rows) == 1
    assert rows[0].target_id == user.id and rows[0].ip == CLIENT_ADDRESS
    assert rows[0].details == {"method": "APP"}
    assert not any(wrong in json.dumps([r.details, r.user_agent]) for r in await AuditEvent.all())
