"""Live status over a real WebSocket (graphql-transport-ws): auth, origin, the cap, and every push.

The client is httpx-ws speaking WebSocket frames to the ASGI app on the test's own event loop;
changes are made through ordinary HTTP requests, mail goes through the harness's real SMTP server.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from helpers import (
    SET_UP_APP,
    SET_UP_EMAIL,
    SUBMIT,
    Harness,
    add_app,
    create_user,
    login,
    secret_of,
    signed_in,
    signed_in_again,
)
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from mail_support import Collector

from twofactor.models import OutboxMessage, Policy, Session, Setup
from twofactor.resolvers import subscriptions
from twofactor.resolvers.api_objects import TwoFactorRows, load_rows
from twofactor.resolvers.notices import user_channel
from twofactor.security import totp
from twofactor.security.tokens import token_hash
from twofactor.server.app import MAX_SUBSCRIPTIONS_PER_CONNECTION
from twofactor.server.context import SESSION_COOKIE, now

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
# The longest any single step of a test may wait for the server.
WAIT = 10.0

VERIFICATION = """
subscription($id: ID!) { myTwoFactorVerification(setupId: $id) {
  id status method attemptsLeft expiresAt app { setupKey }
} }"""

CHANGED = """
subscription { myTwoFactorChanged {
  enabled mandatory availableMethods recoveryCodesRemaining authenticators { id name method }
} }"""

EDIT = """
mutation($id: ID!, $name: String!) { myTwoFactor { edit(id: $id, name: $name) {
  authenticator { id name } error { code message }
} } }"""

SET_POLICY = """
mutation($input: TwoFactorPolicyInput!) { admin { setTwoFactorPolicy(input: $input) {
  policy { mandatory enabledMethods } error { code message }
} } }"""

RESET = """
mutation($id: ID!) { admin { resetUserTwoFactor(userId: $id) { user { id } error { code message } } } }"""

CANCEL = """
mutation($id: ID!) { myTwoFactor { cancelSetup(setupId: $id) { setup { id status } error { code } } } }"""

LOGOUT = "mutation { logout { ok } }"


class Socket:
    """One graphql-transport-ws connection, with the messages of each operation kept apart."""

    def __init__(self, ws: AsyncWebSocketSession) -> None:
        self.ws = ws
        self._pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.close_code: int | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)

    async def receive(self) -> dict[str, Any]:
        """The next message from the server; WebSocketDisconnect once it has closed."""
        async with asyncio.timeout(WAIT):
            while True:
                message: dict[str, Any] = await self.ws.receive_json()
                if message.get("type") == "ping":
                    await self.send({"type": "pong"})
                    continue
                return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send({"type": "subscribe", "id": op_id, "payload": {"query": query, "variables": variables or {}}})

    async def message_for(self, op_id: str) -> dict[str, Any]:
        """The next message of one operation; the others' are kept for later."""
        if self._pending[op_id]:
            return self._pending[op_id].pop(0)
        while True:
            message = await self.receive()
            if message.get("id") == op_id:
                return message
            self._pending[str(message.get("id"))].append(message)

    async def data(self, op_id: str) -> dict[str, Any]:
        """The data of the operation's next `next` message (which must carry no error)."""
        message = await self.message_for(op_id)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def data_until(self, op_id: str, field: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Skip pushes until one satisfies `done` (a re-read may repeat a state it already sent)."""
        async with asyncio.timeout(WAIT):
            while True:
                value: dict[str, Any] = (await self.data(op_id))[field]
                if done(value):
                    return value

    async def ended(self, op_id: str) -> str:
        """How the operation ended: 'complete', or 'closed' when the server closed the whole connection."""
        try:
            message = await self.message_for(op_id)
        except WebSocketDisconnect as closed:
            self.close_code = closed.code
            return "closed"
        assert message["type"] == "complete", message
        return "complete"

    async def closed(self) -> tuple[int, list[dict[str, Any]]]:
        """Read until the server closes; its close code and whatever it sent before."""
        received = []
        try:
            while True:
                received.append(await self.receive())
        except WebSocketDisconnect as closed:
            self.close_code = closed.code
            return closed.code, received


@contextlib.asynccontextmanager
async def connect(
    harness: Harness, *, subprotocols: tuple[str, ...] = (TRANSPORT_WS,), headers: dict[str, str] | None = None
) -> AsyncIterator[Socket]:
    """A WebSocket to /graphql of the harness's app (no frame sent yet)."""
    transport = ASGIWebSocketTransport(app=harness.app, client=("203.0.113.7", 50001))
    ws: AsyncWebSocketSession
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=list(subprotocols), headers=headers or {}) as ws,
    ):
        yield Socket(ws)


@contextlib.asynccontextmanager
async def signed_socket(harness: Harness, token: str) -> AsyncIterator[Socket]:
    """A connection authenticated at connection_init with a Bearer token."""
    async with connect(harness) as socket:
        ack = await socket.init({"authorization": f"Bearer {token}"})
        assert ack["type"] == "connection_ack", ack
        yield socket


def disconnect_codes(group: BaseExceptionGroup[BaseException]) -> list[int]:
    """The close codes in an exception group raised out of the WebSocket's task groups."""
    codes = []
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            codes.extend(disconnect_codes(error))
        elif isinstance(error, WebSocketDisconnect):
            codes.append(error.code)
    return codes


async def refused_code(socket: Socket, op_id: str) -> str:
    """The error code an operation was refused with (no data, then complete; or one error message)."""
    message = await socket.message_for(op_id)
    if message["type"] == "error":
        errors = message["payload"]
    else:
        assert message["type"] == "next", message
        assert message["payload"]["data"] is None, message
        errors = message["payload"]["errors"]
        assert await socket.ended(op_id) == "complete"
    codes = {e["extensions"]["code"] for e in errors}
    assert len(codes) == 1, errors
    return str(codes.pop())


async def subscribers(harness: Harness, channel: str) -> int:
    broker = harness.app.state.services.broker
    count: int = broker.fanout.subscriber_count(channel)
    return count


async def listening(harness: Harness, channel: str, count: int = 1) -> None:
    """Wait until `count` subscriptions listen to the channel (myTwoFactorChanged sends nothing first)."""
    async with asyncio.timeout(WAIT):
        while await subscribers(harness, channel) < count:
            await asyncio.sleep(0.01)


def payload(body: dict[str, Any], *path: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: Any = body["data"]
    for key in path:
        result = result[key]
    assert result.get("error") is None, result
    return dict(result)


async def start_email_setup(harness: Harness, token: str, name: str = "Mail") -> dict[str, Any]:
    body = await harness.gql(SET_UP_EMAIL, {"name": name}, token=token)
    return payload(body, "myTwoFactor", "setUpEmail")["setup"]  # type: ignore[no-any-return]


async def start_app_setup(harness: Harness, token: str) -> dict[str, Any]:
    body = await harness.gql(SET_UP_APP, token=token)
    return payload(body, "myTwoFactor", "setUpApp")["setup"]  # type: ignore[no-any-return]


async def submit(harness: Harness, token: str, setup_id: str, code: str, name: str | None = None) -> dict[str, Any]:
    body = await harness.gql(SUBMIT, {"id": setup_id, "code": code, "name": name}, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["myTwoFactor"]["submitCode"]
    return result


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def not_a_current_code(secret: str) -> str:
    """A code no step within the drift window accepts."""
    step = totp.current_step()
    taken = {totp.code_at(secret, s) for s in range(step - 2, step + 3)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in taken)


@contextlib.contextmanager
def holding_mail(collector: Collector) -> Iterator[threading.Event]:
    """The SMTP server holds each message until the returned event is set (so PENDING can be seen)."""
    gate = threading.Event()
    original = collector.handle_DATA

    async def held(server: Any, session: Any, envelope: Any) -> str:
        # aiosmtpd runs its own loop in a thread: wait off that loop, bounded.
        await asyncio.get_running_loop().run_in_executor(None, gate.wait, WAIT)
        return await original(server, session, envelope)

    # aiosmtpd reads the handler's hooks for each new connection, and the backend opens one per message.
    collector.handle_DATA = held  # type: ignore[method-assign]
    try:
        yield gate
    finally:
        gate.set()
        del collector.handle_DATA


@pytest.fixture
def held_mail(app: Harness) -> Iterator[threading.Event]:
    with holding_mail(app.smtp.collector) as gate:
        yield gate


# Connecting and authenticating


async def test_connection_init_without_token_is_refused(app: Harness) -> None:
    await signed_in(app)
    async with connect(app) as socket:
        await socket.send({"type": "connection_init", "payload": {}})
        await socket.subscribe("1", CHANGED)
        code, received = await socket.closed()
    assert code == 4403
    assert received == []


async def test_connection_init_with_bad_token_is_refused_before_any_subscription(app: Harness) -> None:
    user, token = await signed_in(app)
    for bad in (f"{token}x", "not-a-token", token.upper()):
        async with connect(app) as socket:
            await socket.send({"type": "connection_init", "payload": {"authorization": f"Bearer {bad}"}})
            await socket.subscribe("1", CHANGED)
            code, received = await socket.closed()
        assert code == 4403
        assert received == []
    assert await subscribers(app, user_channel(user.id)) == 0


async def test_subscribe_before_connection_init_is_refused(app: Harness) -> None:
    await signed_in(app)
    async with connect(app) as socket:
        await socket.subscribe("1", CHANGED)
        code, received = await socket.closed()
    assert code == 4401
    assert received == []


async def test_bearer_token_in_connection_init_is_acknowledged(app: Harness) -> None:
    _, token = await signed_in(app)
    async with connect(app) as socket:
        assert socket.ws.subprotocol == TRANSPORT_WS
        ack = await socket.init({"authorization": f"Bearer {token}"})
    assert ack["type"] == "connection_ack"


async def test_session_cookie_is_accepted_at_connection_init(app: Harness) -> None:
    _, token = await signed_in(app)
    async with connect(app, headers={"cookie": f"{SESSION_COOKIE}={token}"}) as socket:
        ack = await socket.init({})
    assert ack["type"] == "connection_ack"


async def test_legacy_graphql_ws_protocol_is_refused(app: Harness) -> None:
    _, token = await signed_in(app)
    codes: list[int] = []
    try:
        async with connect(app, subprotocols=(LEGACY_WS,)) as socket:
            # Never agreed to: the server either refuses the handshake or closes right after it.
            assert socket.ws.subprotocol != LEGACY_WS
            await socket.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
            code, received = await socket.closed()
            codes.append(code)
            assert all(m.get("type") != "connection_ack" for m in received)
    except* WebSocketDisconnect as group:
        codes.extend(disconnect_codes(group))
    assert codes
    assert codes[0] == 4406


async def test_foreign_origin_is_refused_before_the_handshake(app: Harness) -> None:
    _, token = await signed_in(app)
    codes: list[int] = []
    try:
        async with connect(app, headers={"origin": "https://evil.example", "cookie": f"{SESSION_COOKIE}={token}"}):
            pytest.fail("a WebSocket from a foreign origin was accepted")
    except* WebSocketDisconnect as group:
        codes = disconnect_codes(group)
    assert codes == [4403]


@pytest.mark.parametrize("origin", ["https://app.example.test", "http://testserver"])
async def test_configured_and_own_origins_are_accepted(app: Harness, origin: str) -> None:
    _, token = await signed_in(app)
    async with connect(app, headers={"origin": origin}) as socket:
        ack = await socket.init({"authorization": f"Bearer {token}"})
    assert ack["type"] == "connection_ack"


async def test_subscriptions_per_connection_are_capped(app: Harness) -> None:
    user, token = await signed_in(app)
    async with signed_socket(app, token) as socket:
        for number in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            await socket.subscribe(str(number), CHANGED)
        await listening(app, user_channel(user.id), MAX_SUBSCRIPTIONS_PER_CONNECTION)
        await socket.subscribe("over", CHANGED)
        refused = await socket.message_for("over")
        assert refused["type"] == "error"
        assert "limit" in refused["payload"][0]["message"].lower()
        assert await subscribers(app, user_channel(user.id)) == MAX_SUBSCRIPTIONS_PER_CONNECTION
        # The ones within the cap still work.
        await add_app(app, token)
        for number in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            state = await socket.data_until(str(number), "myTwoFactorChanged", lambda s: s["enabled"])
            assert [a["name"] for a in state["authenticators"]] == ["Phone"]
        # A finished one frees its place.
        await socket.send({"type": "complete", "id": "0"})
        await listening(app, user_channel(user.id), MAX_SUBSCRIPTIONS_PER_CONNECTION - 1)
        await socket.subscribe("again", CHANGED)
        await listening(app, user_channel(user.id), MAX_SUBSCRIPTIONS_PER_CONNECTION)


# myTwoFactorVerification


async def test_email_verification_pushes_each_status_until_verified(app: Harness, held_mail: threading.Event) -> None:
    # An address of its own: a notice an earlier test queued may still arrive for the usual one.
    user, token = await signed_in(app, "mail.verification@example.test")
    setup = await start_email_setup(app, token)
    assert setup["status"] == "PENDING"
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        first = (await socket.data("v"))["myTwoFactorVerification"]
        assert first["id"] == setup["id"]
        assert first["status"] == "PENDING"
        assert first["method"] == "EMAIL"
        assert first["attemptsLeft"] == 5

        held_mail.set()  # the SMTP server accepts the message now
        sent = (await socket.data("v"))["myTwoFactorVerification"]
        assert sent["status"] == "CODE_SENT"
        code = await app.mailed_code(user.email)

        wrong = await submit(app, token, setup["id"], wrong_code(code))
        assert wrong["error"]["code"] == "INVALID_CODE"
        after_wrong = (await socket.data("v"))["myTwoFactorVerification"]
        assert after_wrong["status"] == "CODE_SENT"
        assert after_wrong["attemptsLeft"] == 4

        right = await submit(app, token, setup["id"], code)
        assert right["error"] is None, right
        verified = (await socket.data("v"))["myTwoFactorVerification"]
        assert verified["status"] == "VERIFIED"
        assert await socket.ended("v") == "complete"
    assert await subscribers(app, user_channel(user.id)) == 0


async def test_delivery_failure_is_pushed(app: Harness) -> None:
    collector = app.smtp.collector

    async def refuse(server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 Rejected by the test"

    _, token = await signed_in(app, "mail.refused@example.test")
    collector.handle_DATA = refuse  # type: ignore[method-assign]
    try:
        setup = await start_email_setup(app, token)
        async with signed_socket(app, token) as socket:
            await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
            # Refused, so retried (for up to the code's 10 minutes): still PENDING.
            assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "PENDING"
            # Now the time is up: the worker gives up at its next attempt.
            await OutboxMessage.filter(setup_id=setup["id"]).update(deliver_before=now())
            failed = (await socket.data("v"))["myTwoFactorVerification"]
            assert failed["status"] == "DELIVERY_FAILED"
            # Still open (a resend may follow): the subscription goes on until a final state.
            body = await app.gql(CANCEL, {"id": setup["id"]}, token=token)
            assert body["data"]["myTwoFactor"]["cancelSetup"]["setup"]["status"] == "CANCELLED"
            assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "CANCELLED"
            assert await socket.ended("v") == "complete"
    finally:
        del collector.handle_DATA


async def test_app_verification_locks_after_too_many_wrong_codes(app: Harness) -> None:
    _, token = await signed_in(app)
    setup = await start_app_setup(app, token)
    wrong = not_a_current_code(secret_of(setup))
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        first = (await socket.data("v"))["myTwoFactorVerification"]
        assert (first["status"], first["attemptsLeft"]) == ("PENDING", 5)
        # The subscription shows the state, never the secret again.
        assert first["app"]["setupKey"]
        seen = []
        for _ in range(5):
            await submit(app, token, setup["id"], wrong, "Phone")
            state = (await socket.data("v"))["myTwoFactorVerification"]
            seen.append((state["status"], state["attemptsLeft"]))
        assert seen[:4] == [("PENDING", 4), ("PENDING", 3), ("PENDING", 2), ("PENDING", 1)]
        assert seen[4] == ("LOCKED", 0)
        assert await socket.ended("v") == "complete"


async def test_cancelled_set_up_is_pushed_and_ends_the_subscription(app: Harness) -> None:
    _, token = await signed_in(app)
    setup = await start_app_setup(app, token)
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "PENDING"
        body = await app.gql(CANCEL, {"id": setup["id"]}, token=token)
        assert body["data"]["myTwoFactor"]["cancelSetup"]["setup"]["status"] == "CANCELLED"
        state = (await socket.data("v"))["myTwoFactorVerification"]
        assert state["status"] == "CANCELLED"
        assert state["app"] is None
        assert await socket.ended("v") == "complete"


async def test_finished_set_up_sends_its_final_state_and_completes(app: Harness) -> None:
    _, token = await signed_in(app)
    setup = await start_app_setup(app, token)
    result = await submit(app, token, setup["id"], totp.code_at(secret_of(setup), totp.current_step()), "Phone")
    assert result["error"] is None
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        state = (await socket.data("v"))["myTwoFactorVerification"]
        assert state["status"] == "VERIFIED"
        assert state["app"] is None
        assert await socket.ended("v") == "complete"


@pytest.mark.parametrize("setup_id", ["other", "00000000-0000-4000-8000-000000000000", "not-a-uuid"])
async def test_another_users_set_up_is_not_found(app: Harness, setup_id: str) -> None:
    _, other_token = await signed_in(app, "grace@example.test")
    others = await start_app_setup(app, other_token)
    _, token = await signed_in(app)
    wanted = others["id"] if setup_id == "other" else setup_id
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": wanted})
        # No data at all: the same answer as for an id that never existed.
        assert await refused_code(socket, "v") == "NOT_FOUND"


async def test_expiry_is_pushed_without_a_request(app: Harness) -> None:
    user, token = await signed_in(app)
    setup = await start_app_setup(app, token)
    await Setup.filter(id=setup["id"]).update(expires_at=now() + timedelta(seconds=1))
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        first = (await socket.data("v"))["myTwoFactorVerification"]
        assert first["status"] == "PENDING"
        # No request from here on: the server notices the time itself.
        expired = (await socket.data("v"))["myTwoFactorVerification"]
        assert expired["status"] == "EXPIRED"
        assert expired["app"] is None
        assert await socket.ended("v") == "complete"
    row = await Setup.get(id=setup["id"])
    assert row.status == "EXPIRED"
    assert await subscribers(app, user_channel(user.id)) == 0


# myTwoFactorChanged


async def test_changes_from_another_session_are_pushed(app: Harness) -> None:
    user, other = await signed_in(app)  # a second session of the same user, e.g. a phone
    first, secret, step = await add_app(app, other, "Phone")
    token = await signed_in_again(app, user.email, first["authenticator"]["id"], secret, step)
    async with signed_socket(app, token) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))

        added, _, _ = await add_app(app, other, "Tablet")
        state = await socket.data_until("c", "myTwoFactorChanged", lambda s: len(s["authenticators"]) == 2)
        assert [(a["id"], a["name"], a["method"]) for a in state["authenticators"]] == [
            (first["authenticator"]["id"], "Phone", "APP"),
            (added["authenticator"]["id"], "Tablet", "APP"),
        ]
        assert state["recoveryCodesRemaining"] == 10

        body = await app.gql(EDIT, {"id": added["authenticator"]["id"], "name": "Work phone"}, token=other)
        assert payload(body, "myTwoFactor", "edit")["authenticator"]["name"] == "Work phone"
        state = await socket.data_until(
            "c", "myTwoFactorChanged", lambda s: [a["name"] for a in s["authenticators"]] == ["Phone", "Work phone"]
        )
        assert state["enabled"] is True


async def test_policy_change_by_an_administrator_is_pushed(app: Harness) -> None:
    user, token = await signed_in(app)
    _, admin_token = await signed_in(app, "admin@example.test", admin=True)
    async with signed_socket(app, token) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        body = await app.gql(SET_POLICY, {"input": {"mandatory": True, "enabledMethods": ["APP"]}}, token=admin_token)
        assert payload(body, "admin", "setTwoFactorPolicy")["policy"]["mandatory"] is True
        state = await socket.data_until("c", "myTwoFactorChanged", lambda s: s["mandatory"])
        assert state["availableMethods"] == ["APP"]
        assert state["enabled"] is False


async def test_another_users_changes_are_not_pushed(app: Harness) -> None:
    user, token = await signed_in(app)
    _, other_token = await signed_in(app, "grace@example.test")
    async with signed_socket(app, token) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        await add_app(app, other_token, "Grace's phone")
        # Then one change of this user's own: the first push must be about it alone.
        await add_app(app, token, "Ada's phone")
        state = (await socket.data("c"))["myTwoFactorChanged"]
        assert [a["name"] for a in state["authenticators"]] == ["Ada's phone"]


async def test_a_policy_change_shows_each_subscriber_its_own_authenticators(app: Harness) -> None:
    ada, ada_token = await signed_in(app)
    grace, grace_token = await signed_in(app, "grace@example.test")
    _, admin_token = await signed_in(app, "admin@example.test", admin=True)
    await add_app(app, admin_token, "Admin's phone")  # else mandatory 2FA leaves them set-up only
    await add_app(app, ada_token, "Ada's phone")
    await add_app(app, grace_token, "Grace's phone")
    async with signed_socket(app, ada_token) as ada_socket, signed_socket(app, grace_token) as grace_socket:
        # Ada's two subscriptions share the event's work; Grace's must get none of it.
        for op_id in ("c1", "c2"):
            await ada_socket.subscribe(op_id, CHANGED)
        await grace_socket.subscribe("c", CHANGED)
        await listening(app, user_channel(ada.id), 2)
        await listening(app, user_channel(grace.id))
        subscribed = (("ada", ada_socket, "c1"), ("ada", ada_socket, "c2"), ("grace", grace_socket, "c"))
        # The first change makes each subscriber read its rows, the second is answered from them.
        for mandatory in (True, False):
            body = await app.gql(SET_POLICY, {"input": {"mandatory": mandatory}}, token=admin_token)
            assert payload(body, "admin", "setTwoFactorPolicy")["policy"]["mandatory"] is mandatory

            def changed(state: dict[str, Any], mandatory: bool = mandatory) -> bool:
                return state["mandatory"] is mandatory

            pushes = [
                (name, await socket.data_until(op_id, "myTwoFactorChanged", changed))
                for name, socket, op_id in subscribed
            ]
            assert [(name, [a["name"] for a in state["authenticators"]]) for name, state in pushes] == [
                ("ada", ["Ada's phone"]),
                ("ada", ["Ada's phone"]),
                ("grace", ["Grace's phone"]),
            ]


async def test_the_subscriptions_of_one_user_read_once_per_event(app: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    user, token = await signed_in(app)
    _, admin_token = await signed_in(app, "admin@example.test", admin=True)
    await add_app(app, admin_token, "Admin's phone")  # else mandatory 2FA leaves them set-up only
    await add_app(app, token)
    reads: list[int] = []

    async def counted(user_id: int, *, with_sessions: bool = False) -> TwoFactorRows:
        reads.append(user_id)
        return await load_rows(user_id, with_sessions=with_sessions)

    monkeypatch.setattr(subscriptions, "load_rows", counted)
    async with signed_socket(app, token) as socket:
        op_ids = [f"c{n}" for n in range(3)]
        for op_id in op_ids:
            await socket.subscribe(op_id, CHANGED)
        await listening(app, user_channel(user.id), len(op_ids))

        async def each_pushed(done: Callable[[dict[str, Any]], bool]) -> None:
            for op_id in op_ids:
                state = await socket.data_until(op_id, "myTwoFactorChanged", done)
                assert [a["name"] for a in state["authenticators"]] == ["Phone"]

        # The first policy change is read once for all three; the second is answered from those rows.
        await app.gql(SET_POLICY, {"input": {"mandatory": True}}, token=admin_token)
        await each_pushed(lambda s: s["mandatory"])
        assert reads == [user.id]
        await app.gql(SET_POLICY, {"input": {"mandatory": False}}, token=admin_token)
        await each_pushed(lambda s: not s["mandatory"])
        assert reads == [user.id]
        # A change of the user's own is read again, once.
        await app.app.state.services.broker.publish(user_channel(user.id), {"type": "changed"})
        await each_pushed(lambda s: True)
        assert reads == [user.id, user.id]


def _rows(user_id: int) -> TwoFactorRows:
    return TwoFactorRows(user_id, [], 0)


def _policy() -> Policy:
    return Policy(mandatory=False, email_enabled=True, app_enabled=True, recovery_codes_enabled=True)


def test_an_event_shares_a_view_only_between_holders_of_the_same_rows() -> None:
    shared = subscriptions.SharedEvent({"type": "changed"})
    policy = _policy()
    ada, ada_again, grace = _rows(1), _rows(1), _rows(2)
    view = shared.view(ada, policy)
    assert shared.view(ada, policy) is view
    # Equal rows read separately, or another user's, never get that view.
    assert shared.view(ada_again, policy) is not view
    assert shared.view(grace, policy).user_id == 2
    assert shared.view(ada, _policy()) is not view
    # The event keeps a view only while a subscriber does.
    held = weakref.ref(view)
    del view
    gc.collect()
    assert held() is None
    again = shared.view(ada, policy)
    assert shared.view(ada, policy) is again


def test_work_is_shared_by_event_object_not_by_equal_content() -> None:
    first: dict[str, object] = {"type": "changed"}
    second: dict[str, object] = {"type": "changed"}
    remembered = subscriptions.shared_event(first)
    assert subscriptions.shared_event(first) is remembered
    assert subscriptions.shared_event(second) is not remembered
    # Only the latest events are remembered.
    for _ in range(subscriptions.SHARED_EVENTS):
        subscriptions.shared_event({"type": "changed"})
    assert subscriptions.shared_event(first) is not remembered


async def test_a_failed_shared_read_fails_every_subscriber_waiting_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def failing(user_id: int, *, with_sessions: bool = False) -> TwoFactorRows:
        started.set()
        await release.wait()
        raise ConnectionError("database went away")

    monkeypatch.setattr(subscriptions, "load_rows", failing)
    shared = subscriptions.SharedEvent({"type": "changed"})
    first = asyncio.create_task(shared.rows(1))
    await started.wait()
    second = asyncio.create_task(shared.rows(1))
    # The subscriber that started the read leaves; the other still gets the outcome.
    first.cancel()
    release.set()
    with pytest.raises(ConnectionError):
        await second
    assert first.cancelled()


# Sessions that end


async def test_logout_ends_the_sessions_subscriptions(app: Harness) -> None:
    user, token = await signed_in(app)
    setup = await start_app_setup(app, token)
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "PENDING"
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id), 2)

        body = await app.gql(LOGOUT, token=token)
        assert body["data"]["logout"]["ok"] is True
        assert await socket.ended("v") in {"complete", "closed"}
        assert await socket.ended("c") in {"complete", "closed"}
        if socket.close_code is None:
            # The connection may stay open, but it no longer speaks for anyone: no subscription,
            # query or mutation runs as the ended session.
            for op_id, query, variables in (
                ("late-v", VERIFICATION, {"id": setup["id"]}),
                ("late-c", CHANGED, {}),
                ("late-q", "{ myTwoFactor { enabled } }", {}),
                ("late-m", SET_UP_APP, {}),
            ):
                await socket.subscribe(op_id, query, variables)
                assert await refused_code(socket, op_id) == "UNAUTHENTICATED"
    assert await subscribers(app, user_channel(user.id)) == 0
    # And the token opens no new connection.
    async with connect(app) as socket:
        await socket.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        code, received = await socket.closed()
    assert (code, received) == (4403, [])


async def test_admin_reset_ends_the_users_subscriptions(app: Harness) -> None:
    user, token = await signed_in(app)
    _, admin_token = await signed_in(app, "admin@example.test", admin=True)
    await add_app(app, token)
    async with signed_socket(app, token) as socket:
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        body = await app.gql(RESET, {"id": str(user.id)}, token=admin_token)
        assert payload(body, "admin", "resetUserTwoFactor")["user"]["id"] == str(user.id)
        assert await socket.ended("c") in {"complete", "closed"}
    assert await subscribers(app, user_channel(user.id)) == 0


async def test_a_session_ended_where_no_event_tells_is_shown_no_more_changes(app: Harness) -> None:
    """The command line's reset without Redis deletes sessions and cannot tell this process: at
    the user's next change, the deleted session's subscription ends instead of showing it."""
    user, gone = await signed_in(app)
    live = (await login(app, "ada@example.test"))["token"]
    async with signed_socket(app, gone) as gone_socket, signed_socket(app, live) as live_socket:
        await gone_socket.subscribe("c", CHANGED)
        await live_socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id), 2)
        await Session.filter(token_hash=token_hash(gone)).delete()  # as another process would
        await add_app(app, live, "Tablet")
        shown = await live_socket.data_until("c", "myTwoFactorChanged", lambda page: page["enabled"])
        assert [a["name"] for a in shown["authenticators"]] == ["Tablet"]
        assert await gone_socket.ended("c") in {"complete", "closed"}  # and nothing before it


async def test_closing_the_connection_ends_its_subscriptions(app: Harness) -> None:
    user, token = await signed_in(app)
    setup = await start_app_setup(app, token)
    async with signed_socket(app, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        await socket.data("v")
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id), 2)
    async with asyncio.timeout(WAIT):
        while await subscribers(app, user_channel(user.id)):
            await asyncio.sleep(0.01)


async def test_a_set_up_session_becomes_full_on_the_same_connection(app: Harness) -> None:
    _, admin_token = await signed_in(app, "admin@example.test", admin=True)
    body = await app.gql(SET_POLICY, {"input": {"mandatory": True}}, token=admin_token)
    assert payload(body, "admin", "setTwoFactorPolicy")["policy"]["mandatory"] is True
    user = await create_user()
    signed = await login(app)
    assert signed["session"]["nextStep"] == "TWO_FACTOR_SETUP"
    token = signed["token"]
    async with signed_socket(app, token) as socket:
        # Only the set-up is open to this session: not the whole 2FA page.
        await socket.subscribe("early", CHANGED)
        assert await refused_code(socket, "early") == "FORBIDDEN"
        setup = await start_app_setup(app, token)
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "PENDING"
        result = await submit(app, token, setup["id"], totp.code_at(secret_of(setup), totp.current_step()), "Phone")
        assert result["error"] is None, result
        assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "VERIFIED"
        assert await socket.ended("v") == "complete"
        # The finished set-up made the session a full one, on this connection too.
        await socket.subscribe("c", CHANGED)
        await listening(app, user_channel(user.id))
        await add_app(app, token, "Tablet")
        state = (await socket.data("c"))["myTwoFactorChanged"]
        assert sorted(a["name"] for a in state["authenticators"]) == ["Phone", "Tablet"]


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "subscribe", "id": "1", "payload": "x"},
        {"type": "subscribe", "id": "1", "payload": {"query": 5}},
        {
            "type": "subscribe",
            "id": "1",
            "payload": {"query": "subscription { myTwoFactorChanged { enabled } }", "variables": [1]},
        },
        {"type": "ping", "payload": [1]},
    ],
)
async def test_a_frame_of_the_wrong_shape_closes_the_connection_with_4400(app: Harness, frame: dict[str, Any]) -> None:
    _, token = await signed_in(app)
    async with signed_socket(app, token) as socket:
        await socket.send(frame)
        code, _ = await socket.closed()
        assert code == 4400


async def test_a_query_over_the_socket_sees_authenticators_added_after_connection_init(app: Harness) -> None:
    """HTTP reads the authenticators with the session; a socket authenticated long ago must not reuse that read."""
    _, token = await signed_in(app)
    query = "{ myTwoFactor { enabled authenticators { name } } }"
    async with signed_socket(app, token) as socket:
        await socket.subscribe("before", query)
        assert (await socket.data("before"))["myTwoFactor"] == {"enabled": False, "authenticators": []}
        await add_app(app, token, "Phone")
        await socket.subscribe("after", query)
        assert (await socket.data("after"))["myTwoFactor"] == {"enabled": True, "authenticators": [{"name": "Phone"}]}
