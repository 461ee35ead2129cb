"""Per-user bounds (open set-ups, sessions, live subscriptions) and the scheduled clean-up."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from helpers import SET_UP_APP, SET_UP_EMAIL, Harness, add_app, create_user, login, signed_in
from test_subscriptions import CHANGED, listening, refused_code, signed_socket, subscribers

from twofactor.models import (
    AuditedWait,
    AuditEvent,
    Authenticator,
    EmailChallenge,
    LoginThrottle,
    Method,
    OutboxMessage,
    OutboxStatus,
    RecoveryCode,
    Session,
    SessionState,
    Setup,
    SetupStatus,
    User,
)
from twofactor.resolvers.notices import user_channel
from twofactor.security import tokens
from twofactor.security.rules import (
    LOGIN_STREAK_LIFETIME,
    MAX_OPEN_SETUPS_PER_USER,
    MAX_PENDING_SESSIONS_PER_USER,
    MAX_SESSIONS_PER_USER,
    MAX_SUBSCRIPTIONS_PER_USER,
    OUTBOX_KEPT,
    SETUP_KEPT_AFTER_END,
    USED_RECOVERY_CODE_KEPT,
)
from twofactor.server.context import now
from twofactor.server.housekeeping import purge_once
from twofactor.server.settings import SettingsError, load_settings

SET_UP_APP_REFUSED = """
mutation { myTwoFactor { setUpApp { setup { id } error { code message retryAfterSeconds } } } }"""
CANCEL = """
mutation($id: ID!) { myTwoFactor { cancelSetup(setupId: $id) { setup { id status } error { code } } } }"""
SESSION = "{ session { nextStep } }"


async def column(query: Any, field: str) -> list[Any]:
    """One column of the rows a query selects."""
    return list(await query.values_list(field, flat=True))


def setup_payload(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"][field]
    return payload


# Open set-ups


async def test_open_set_ups_are_capped_per_user(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    started = [
        setup_payload(await app.gql(SET_UP_APP, token=token), "setUpApp") for _ in range(MAX_OPEN_SETUPS_PER_USER)
    ]
    assert all(p["error"] is None for p in started)

    refused = setup_payload(await app.gql(SET_UP_APP_REFUSED, token=token), "setUpApp")
    assert refused["setup"] is None
    assert refused["error"]["code"] == "RATE_LIMITED"
    assert "cancel" in refused["error"]["message"]
    assert 0 < refused["error"]["retryAfterSeconds"] <= 600
    # Refused before anything is written: no set-up, no audit row, no code mail claimed.
    assert await Setup.filter(user_id=user.id).count() == MAX_OPEN_SETUPS_PER_USER
    assert await AuditEvent.filter(action="setup.started").count() == MAX_OPEN_SETUPS_PER_USER
    email = setup_payload(await app.gql(SET_UP_EMAIL, {"name": "Mail"}, token=token), "setUpEmail")
    assert email["error"]["code"] == "RATE_LIMITED"
    assert (await User.get(id=user.id)).sends_in_window == 0
    assert not await OutboxMessage.filter(user_id=user.id).exists()

    # Cancelling one, or one running out of time, makes room.
    await app.gql(CANCEL, {"id": started[0]["setup"]["id"]}, token=token)
    assert setup_payload(await app.gql(SET_UP_APP, token=token), "setUpApp")["error"] is None
    await Setup.filter(id=uuid.UUID(started[1]["setup"]["id"])).update(expires_at=now() - timedelta(seconds=1))
    assert setup_payload(await app.gql(SET_UP_EMAIL, {"name": "Mail"}, token=token), "setUpEmail")["error"] is None
    await app.mails_to(ada)

    # Another user has room of their own.
    _, other = await signed_in(app, f"other-{ada}")
    assert setup_payload(await app.gql(SET_UP_APP, token=other), "setUpApp")["error"] is None


async def test_a_refusal_at_the_cap_spends_no_recovery_code(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    result, _, _ = await add_app(app, token)
    for _ in range(MAX_OPEN_SETUPS_PER_USER):
        assert setup_payload(await app.gql(SET_UP_APP, token=token), "setUpApp")["error"] is None
    # The session proved its factor long ago: adding one needs a code, here a recovery code.
    await Session.filter(user_id=user.id).update(second_factor_at=now() - timedelta(days=1))
    with_code = """
    mutation($code: String) { myTwoFactor { setUpApp(code: $code) { setup { id } error { code } } } }"""
    body = await app.gql(with_code, {"code": result["recoveryCodes"][0]}, token=token)
    assert setup_payload(body, "setUpApp")["error"]["code"] == "RATE_LIMITED"
    assert await RecoveryCode.filter(user_id=user.id, used_at__isnull=True).count() == len(result["recoveryCodes"])


async def test_parallel_set_ups_cannot_pass_the_cap_together(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    answers = await asyncio.gather(*(app.gql(SET_UP_APP, token=token) for _ in range(2 * MAX_OPEN_SETUPS_PER_USER)))
    errors = [setup_payload(a, "setUpApp")["error"] for a in answers]
    assert sum(e is None for e in errors) == MAX_OPEN_SETUPS_PER_USER
    assert {e["code"] for e in errors if e is not None} == {"RATE_LIMITED"}
    assert await Setup.filter(user_id=user.id).count() == MAX_OPEN_SETUPS_PER_USER


async def test_parallel_email_set_ups_at_the_cap_queue_and_spend_one_code_mail(app: Harness, ada: str) -> None:
    # All three find room as read; the transaction that stores a set-up counts again, and a
    # refusal there leaves no code mail queued and gives its send back.
    user, token = await signed_in(app, ada)
    for _ in range(MAX_OPEN_SETUPS_PER_USER - 1):
        assert setup_payload(await app.gql(SET_UP_APP, token=token), "setUpApp")["error"] is None
    answers = await asyncio.gather(*(app.gql(SET_UP_EMAIL, {"name": f"Mail {n}"}, token=token) for n in range(3)))
    errors = [setup_payload(a, "setUpEmail")["error"] for a in answers]
    assert sum(e is None for e in errors) == 1, errors
    assert {e["code"] for e in errors if e is not None} == {"RATE_LIMITED"}
    assert await Setup.filter(user_id=user.id).count() == MAX_OPEN_SETUPS_PER_USER
    assert await OutboxMessage.filter(user_id=user.id, kind="setup_code").count() == 1
    assert (await User.get(id=user.id)).sends_in_window == 1
    await app.mails_to(ada)


# Sessions


async def add_sessions(user: User, state: SessionState, count: int) -> list[str]:
    """`count` live sessions of the user, oldest first; their tokens."""
    made = []
    for _ in range(count):
        token = tokens.new_token()
        await Session.create(
            token_hash=tokens.token_hash(token), user_id=user.id, state=state, expires_at=now() + timedelta(hours=1)
        )
        made.append(token)
    return made


async def signed_in_as(app: Harness, token: str) -> bool:
    return (await app.gql(SESSION, token=token))["data"]["session"] is not None


async def test_a_sign_in_beyond_the_cap_ends_the_oldest_session(app: Harness, ada: str) -> None:
    user = await create_user(ada)
    old = await add_sessions(user, SessionState.DONE, MAX_SESSIONS_PER_USER)
    async with signed_socket(app, old[0]) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        payload = await login(app, ada)
        assert payload["session"]["nextStep"] == "DONE"
        # The ended session's live subscriptions end with it.
        assert await socket.ended("c") == "complete"
    assert await Session.filter(user_id=user.id).count() == MAX_SESSIONS_PER_USER
    assert not await signed_in_as(app, old[0])
    assert await signed_in_as(app, old[1]) and await signed_in_as(app, payload["token"])
    row = await AuditEvent.get(action="session.ended_over_cap")
    assert (row.target_id, row.details["sessions_ended"]) == (user.id, 1)


async def test_sign_ins_at_the_challenge_have_a_smaller_cap_and_never_end_full_sessions(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    await add_app(app, token)
    full = [token, *await add_sessions(user, SessionState.DONE, MAX_SESSIONS_PER_USER - 1)]
    pending = [(await login(app, ada))["token"] for _ in range(MAX_PENDING_SESSIONS_PER_USER + 2)]
    assert await Session.filter(user_id=user.id, state=SessionState.CHALLENGE).count() == MAX_PENDING_SESSIONS_PER_USER
    assert not await signed_in_as(app, pending[0]) and not await signed_in_as(app, pending[1])
    assert await signed_in_as(app, pending[2]) and await signed_in_as(app, pending[-1])
    # Whoever holds only the password cannot sign the owner's devices out.
    assert await Session.filter(user_id=user.id, state=SessionState.DONE).count() == MAX_SESSIONS_PER_USER
    assert all([await signed_in_as(app, t) for t in (full[0], full[-1])])


# Live subscriptions


async def test_live_subscriptions_are_capped_per_user_across_connections(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    per_socket = 5
    channel = user_channel(user.id)
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(signed_socket(app, token))
            for _ in range(MAX_SUBSCRIPTIONS_PER_USER // per_socket + 1)
        ]
        for index in range(MAX_SUBSCRIPTIONS_PER_USER):
            await sockets[index // per_socket].subscribe(str(index), CHANGED)
        await listening(app, channel, MAX_SUBSCRIPTIONS_PER_USER)
        extra = sockets[-1]
        await extra.subscribe("over", CHANGED)
        assert await refused_code(extra, "over") == "RATE_LIMITED"
        assert await subscribers(app, channel) == MAX_SUBSCRIPTIONS_PER_USER

        # Another user is not affected.
        other_user, other = await signed_in(app, f"other-{ada}")
        socket = await stack.enter_async_context(signed_socket(app, other))
        await socket.subscribe("mine", CHANGED)
        await listening(app, user_channel(other_user.id))

        # An ended subscription gives its place back.
        await sockets[0].send({"type": "complete", "id": "0"})
        await listening_at_most(app, channel, MAX_SUBSCRIPTIONS_PER_USER - 1)
        await extra.subscribe("again", CHANGED)
        await listening(app, channel, MAX_SUBSCRIPTIONS_PER_USER)
    # Closed connections give every place back.
    slots = app.app.state.services.subscription_slots
    async with asyncio.timeout(10):
        while slots.held(user.id) or slots.held(other_user.id):
            await asyncio.sleep(0.01)


async def listening_at_most(app: Harness, channel: str, count: int) -> None:
    async with asyncio.timeout(10):
        while await subscribers(app, channel) > count:
            await asyncio.sleep(0.01)


# The clean-up


async def test_the_clean_up_deletes_only_rows_past_their_use(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    moment = now()
    long_ago = moment - timedelta(days=400)
    live_session = await Session.get(user_id=user.id)
    expired = await Session.create(
        token_hash="e" * 64, user_id=user.id, state=SessionState.DONE, expires_at=moment - timedelta(seconds=1)
    )
    authenticator = await Authenticator.create(user_id=user.id, method=Method.EMAIL, name="M", name_key="m", email=ada)

    def setup(expires: Any, status: SetupStatus) -> Setup:
        return Setup(id=uuid.uuid4(), user_id=user.id, method=Method.APP, status=status, expires_at=expires)

    old_setup, recent_end, open_setup = (
        setup(moment - SETUP_KEPT_AFTER_END - timedelta(minutes=1), SetupStatus.VERIFIED),
        setup(moment - timedelta(minutes=1), SetupStatus.CANCELLED),
        setup(moment + timedelta(minutes=5), SetupStatus.PENDING),
    )
    for row in (old_setup, recent_end, open_setup):
        await row.save()
    used = await EmailChallenge.create(
        session_id=live_session.id,
        authenticator_id=authenticator.id,
        code_digest="u",
        expires_at=moment + timedelta(minutes=5),
        used_at=moment,
    )
    other_session = await Session.create(
        token_hash="f" * 64, user_id=user.id, state=SessionState.DONE, expires_at=moment + timedelta(hours=1)
    )
    stale = await EmailChallenge.create(
        session_id=other_session.id,
        authenticator_id=authenticator.id,
        code_digest="s",
        expires_at=moment - timedelta(seconds=1),
    )
    fresh_session = await Session.create(
        token_hash="g" * 64, user_id=user.id, state=SessionState.DONE, expires_at=moment + timedelta(hours=1)
    )
    live_code = await EmailChallenge.create(
        session_id=fresh_session.id,
        authenticator_id=authenticator.id,
        code_digest="l",
        expires_at=moment + timedelta(minutes=5),
    )

    async def mail(status: OutboxStatus, created: Any) -> OutboxMessage:
        # Due only in an hour: the app's own mail worker must leave the pending one alone.
        row = await OutboxMessage.create(
            kind="notice",
            recipient=ada,
            subject="s",
            body_encrypted="x",
            status=status,
            next_attempt_at=moment + timedelta(hours=1),
            deliver_before=moment + timedelta(hours=1),
        )
        await OutboxMessage.filter(id=row.id).update(created_at=created)
        return row

    old_sent = await mail(OutboxStatus.SENT, moment - OUTBOX_KEPT - timedelta(minutes=1))
    old_failed = await mail(OutboxStatus.FAILED, moment - OUTBOX_KEPT - timedelta(minutes=1))
    old_pending = await mail(OutboxStatus.PENDING, moment - OUTBOX_KEPT - timedelta(minutes=1))
    new_sent = await mail(OutboxStatus.SENT, moment - timedelta(minutes=1))
    old_used = await RecoveryCode.create(
        user_id=user.id, code_digest="a", used_at=moment - USED_RECOVERY_CODE_KEPT - timedelta(minutes=1)
    )
    new_used = await RecoveryCode.create(user_id=user.id, code_digest="b", used_at=moment - timedelta(minutes=1))
    unused = await RecoveryCode.create(user_id=user.id, code_digest="c")
    await RecoveryCode.filter(id=unused.id).update(created_at=long_ago)
    await LoginThrottle.create(
        key="account:over", window_start=moment - LOGIN_STREAK_LIFETIME - timedelta(seconds=1), failures=3
    )
    await LoginThrottle.create(key="account:live", window_start=moment - timedelta(seconds=1), failures=3)
    await AuditedWait.create(key="verify:user:1", until=moment - timedelta(seconds=1))
    await AuditedWait.create(key="verify:user:2", until=moment + timedelta(minutes=1))
    old_event = await AuditEvent.create(action="old", target_id=user.id)
    await AuditEvent.filter(id=old_event.id).update(created_at=long_ago)

    purged = await purge_once(None)
    assert purged == {
        "sessions": 1,
        "setups": 1,
        "email_challenges": 2,
        "outbox": 2,
        "recovery_codes": 1,
        "login_throttles": 1,
        "audited_waits": 1,
    }
    assert not await Session.exists(id=expired.id)
    assert await Session.exists(id=live_session.id)
    assert [
        str(s) for s in await Setup.filter(user_id=user.id).order_by("expires_at").values_list("id", flat=True)
    ] == [str(recent_end.id), str(open_setup.id)]
    assert set(await column(EmailChallenge.all(), "id")) == {live_code.id}
    assert {used.id, stale.id}.isdisjoint(await column(EmailChallenge.all(), "id"))
    assert set(await column(OutboxMessage.all(), "id")) == {old_pending.id, new_sent.id}
    assert {old_sent.id, old_failed.id}.isdisjoint(await column(OutboxMessage.all(), "id"))
    assert set(await column(RecoveryCode.all(), "id")) == {new_used.id, unused.id}
    assert not await RecoveryCode.exists(id=old_used.id)
    throttles = set(await column(LoginThrottle.all(), "key"))
    assert "account:live" in throttles and "account:over" not in throttles
    waits = set(await column(AuditedWait.all(), "key"))
    assert "verify:user:2" in waits and "verify:user:1" not in waits
    # The audit log is kept unless a retention is set.
    assert await AuditEvent.exists(id=old_event.id)
    # A second run (another process, or the next round) finds nothing left.
    assert not any((await purge_once(None)).values())
    assert await signed_in_as(app, token)


async def test_audit_retention_deletes_only_older_rows(app: Harness) -> None:
    old = await AuditEvent.create(action="old", target_id=None)
    await AuditEvent.filter(id=old.id).update(created_at=now() - timedelta(days=31))
    recent = await AuditEvent.create(action="recent", target_id=None)
    await AuditEvent.filter(id=recent.id).update(created_at=now() - timedelta(days=29))
    purged = await purge_once(timedelta(days=30))
    assert purged["audit_events"] == 1
    assert await column(AuditEvent.all(), "action") == ["recent"]


async def test_the_server_cleans_up_on_its_own(app: Harness, ada: str) -> None:
    user = await create_user(ada)
    await Session.create(
        token_hash="h" * 64, user_id=user.id, state=SessionState.DONE, expires_at=now() - timedelta(seconds=1)
    )
    housekeeper = app.app.state.services.housekeeper
    assert housekeeper is not None and housekeeper.running
    interval = housekeeper.interval
    housekeeper.interval = 0.05
    try:
        housekeeper.wake()  # ends the current (long) interval; the next ones are short
        async with asyncio.timeout(10):
            while await Session.filter(user_id=user.id).exists():
                await asyncio.sleep(0.02)
    finally:
        housekeeper.interval = interval
        # The round already due at the short interval runs now, not during the next test.
        rounds = housekeeper.rounds
        async with asyncio.timeout(10):
            while housekeeper.rounds == rounds:
                await asyncio.sleep(0.01)


# The setting


def test_audit_retention_is_kept_forever_unless_set(env: pytest.MonkeyPatch) -> None:
    assert load_settings(env_file=None).audit_retention is None
    env.setenv("TWOFACTOR_AUDIT_RETENTION_DAYS", "400")
    assert load_settings(env_file=None).audit_retention == timedelta(days=400)


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "a year", "36501", "٣"])
def test_a_bad_audit_retention_names_the_variable(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv("TWOFACTOR_AUDIT_RETENTION_DAYS", value)
    with pytest.raises(SettingsError, match="TWOFACTOR_AUDIT_RETENTION_DAYS"):
        load_settings(env_file=None)
