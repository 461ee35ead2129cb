"""Faults on a real deployment: its database, broker and server processes going away and coming back.

Two `twofactor serve` processes on a PostgreSQL cluster and a redis-server of this module's own
(tests/services.py), so stopping them disturbs nobody else; each test injects its fault, removes
it, and checks what clients saw. docs/faults.md says what each fault looks like to users.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from helpers import MY_TWO_FACTOR, PASSWORD, SET_UP_APP, SET_UP_EMAIL, SUBMIT
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from mail_support import SmtpServer
from redis.asyncio import Redis
from services import PostgresCluster, RedisServer, missing_services
from test_multiprocess import (
    LOGIN,
    Server,
    _code_in,
    add_users,
    environment,
    run_command,
    start_server,
    stop,
    subscriber,
    wait_healthy,
)
from test_subscriptions import CHANGED, TRANSPORT_WS, VERIFICATION, WAIT, Socket, holding_mail, wrong_code

from twofactor.schema.errors import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from twofactor.security import totp
from twofactor.server.availability import RETRY_AFTER_SECONDS
from twofactor.server.events import REDIS_CHANNEL_PREFIX
from twofactor.server.shutdown import GOING_AWAY

pytestmark = pytest.mark.faults

# The WebSocket close code for "try again later".
TRY_AGAIN_LATER = 1013
UNAVAILABLE_ERROR = {"message": UNAVAILABLE_MESSAGE, "extensions": {"code": SERVICE_UNAVAILABLE}}
UNAVAILABLE_BODY = {"data": None, "errors": [UNAVAILABLE_ERROR]}


@dataclass
class Stack:
    """The module's deployment: servers a and b, their database cluster, Redis and mail server."""

    a: Server
    b: Server
    postgres: PostgresCluster
    redis: RedisServer
    smtp: SmtpServer
    database_url: str
    env: dict[str, str]
    directory: Path
    users: list[tuple[int, str]]
    http: httpx.AsyncClient

    async def post(self, server: Server, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # SQLite's busy timeout may come twice (a statement of the mail worker's first): 3 * WAIT covers it.
        async with asyncio.timeout(3 * WAIT):
            return await self.http.post(
                f"{server.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )

    async def gql(self, server: Server, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        response = await self.post(server, query, variables, token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def login(self, server: Server, email: str) -> str:
        payload = (await self.gql(server, LOGIN, {"email": email, "password": PASSWORD}))["login"]
        assert payload["session"]["nextStep"] == "DONE", payload
        return str(payload["token"])

    async def listening(self, channel: str) -> None:
        """Wait until some server process subscribed to the channel in Redis."""
        key = REDIS_CHANNEL_PREFIX + channel
        client = Redis.from_url(self.redis.url)
        try:
            async with asyncio.timeout(WAIT):
                while dict(await client.pubsub_numsub(key)).get(key.encode(), 0) < 1:
                    await asyncio.sleep(0.02)
        finally:
            await client.aclose()

    async def publish(self, channel: str, event: dict[str, object]) -> None:
        """An event as a server process would publish it."""
        client = Redis.from_url(self.redis.url)
        try:
            await client.publish(REDIS_CHANNEL_PREFIX + channel, json.dumps(event))
        finally:
            await client.aclose()

    async def health(self, server: Server) -> httpx.Response:
        async with asyncio.timeout(WAIT):
            return await self.http.get(f"{server.url}/healthz")

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database_url.replace("postgres://", "postgresql://", 1))
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()


async def until(check: Any, timeout: float = 3 * WAIT) -> Any:
    """Poll `check()` (async) until it returns something true; that value."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.1)


def log_lines(server: Server, text: str) -> int:
    return server.log.read_text(errors="replace").count(text)


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    reason = missing_services()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the fault tests need their own servers: {reason}")
        pytest.skip(f"the fault tests need their own servers: {reason}")
    directory = tmp_path_factory.mktemp("faults")
    postgres = PostgresCluster()
    redis = RedisServer()
    smtp = SmtpServer()
    servers: list[Server] = []
    try:
        await asyncio.to_thread(postgres.init)
        await asyncio.to_thread(postgres.start)
        await asyncio.to_thread(redis.start)
        smtp.start()
        database_url = f"postgres://postgres@127.0.0.1:{postgres.port}/postgres"
        env = environment(database_url, smtp.port, directory)
        env["TWOFACTOR_REDIS_URL"] = redis.url
        await run_command(["migrate"], env, directory)
        created = await run_command(
            ["user", "create", "--email", "template@example.test", "--name", "Template", "--password-stdin"],
            env,
            directory,
            stdin=PASSWORD + "\n",
        )
        assert "created user" in created
        users = await add_users(database_url, "template@example.test", 8)
        async with httpx.AsyncClient(timeout=3 * WAIT) as http:
            servers.extend([start_server("a", env, directory), start_server("b", env, directory)])
            await asyncio.gather(*(wait_healthy(s) for s in servers))
            yield Stack(servers[0], servers[1], postgres, redis, smtp, database_url, env, directory, users, http)
    finally:
        for server in servers:
            stop(server)
        redis.kill()
        smtp.stop()
        postgres.remove()


@contextlib.asynccontextmanager
async def postgres_down(stack: Stack) -> AsyncIterator[None]:
    """PostgreSQL stopped at once for the block; started again (and answering) after it."""
    await asyncio.to_thread(stack.postgres.kill)
    try:
        yield
    finally:
        await asyncio.to_thread(stack.postgres.start)


@pytest.fixture
def held_mail(stack: Stack) -> Iterator[threading.Event]:
    with holding_mail(stack.smtp.collector) as gate:
        yield gate


# The broker


async def test_broker_outage_keeps_the_api_and_resyncs_every_subscription(stack: Stack) -> None:
    user_id, email = stack.users[0]
    token_a = await stack.login(stack.a, email)
    token_b = await stack.login(stack.b, email)
    first = (await stack.gql(stack.a, SET_UP_APP, token=token_a))["myTwoFactor"]["setUpApp"]["setup"]
    untouched = (await stack.gql(stack.a, SET_UP_APP, token=token_a))["myTwoFactor"]["setUpApp"]["setup"]
    async with subscriber(stack.a, token_a) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": first["id"]})
        assert (await socket.data("v"))["myTwoFactorVerification"]["attemptsLeft"] == 5
        await socket.subscribe("u", VERIFICATION, {"id": untouched["id"]})
        assert (await socket.data("u"))["myTwoFactorVerification"]["status"] == "PENDING"
        await socket.subscribe("c", CHANGED)
        await stack.listening(f"user:{user_id}")

        await asyncio.to_thread(stack.redis.kill)
        # Events are degraded, the process still serves: a load balancer keeps it.
        degraded = await until(lambda: _health_when(stack, stack.a, "events", "degraded"))
        assert degraded.status_code == 200
        assert degraded.json() == {"status": "degraded", "database": "ok", "events": "degraded"}

        # The API works meanwhile; the events these changes publish are lost.
        code = totp.code_at(first["app"]["setupKey"].replace(" ", ""), totp.current_step())
        wrong = {"id": first["id"], "code": wrong_code(code), "name": "Tablet"}
        refused = (await stack.gql(stack.b, SUBMIT, wrong, token_b))["myTwoFactor"]["submitCode"]
        assert refused["error"]["code"] == "INVALID_CODE"
        second = (await stack.gql(stack.b, SET_UP_APP, token=token_b))["myTwoFactor"]["setUpApp"]["setup"]
        code = totp.code_at(second["app"]["setupKey"].replace(" ", ""), totp.current_step())
        added = (await stack.gql(stack.b, SUBMIT, {"id": second["id"], "code": code, "name": "Phone"}, token_b))[
            "myTwoFactor"
        ]["submitCode"]
        assert added["error"] is None, added

        await asyncio.to_thread(stack.redis.start)
        # Each subscription gets the current state once the broker is back, though its events were lost.
        changed = await socket.data_until("c", "myTwoFactorChanged", lambda s: s["enabled"])
        assert [a["name"] for a in changed["authenticators"]] == ["Phone"]
        status = await socket.data_until("v", "myTwoFactorVerification", lambda s: s["attemptsLeft"] == 4)
        assert status["status"] == "PENDING"
        # A set-up nothing happened to gets its state once too: the client cannot know it missed nothing.
        same = (await socket.data("u"))["myTwoFactorVerification"]
        assert (same["status"], same["attemptsLeft"]) == ("PENDING", 5)
        healthy = await until(lambda: _health_when(stack, stack.a, "events", "ok"))
        assert healthy.json() == {"status": "ok", "database": "ok", "events": "ok"}


async def _health_when(stack: Stack, server: Server, part: str, state: str) -> httpx.Response | None:
    response = await stack.health(server)
    return response if response.json().get(part) == state else None


# The database


async def test_database_outage_answers_503_keeps_sockets_and_recovers(stack: Stack) -> None:
    user_id, email = stack.users[1]
    token = await stack.login(stack.a, email)
    unreachable = log_lines(stack.a, "database unreachable")
    back = log_lines(stack.a, "database reachable again")
    async with subscriber(stack.a, token) as socket:
        await socket.subscribe("c", CHANGED)
        await stack.listening(f"user:{user_id}")
        async with postgres_down(stack):
            # Failing while authenticating the request, before GraphQL runs ...
            authenticated = await stack.post(stack.a, MY_TWO_FACTOR, token=token)
            # ... and inside a resolver.
            anonymous = await stack.post(stack.a, LOGIN, {"email": email, "password": PASSWORD})
            for response in (authenticated, anonymous, await stack.post(stack.a, MY_TWO_FACTOR, token=token)):
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
                assert response.headers["content-type"] == "application/json"
                assert response.json() == UNAVAILABLE_BODY
            health = await stack.health(stack.a)
            assert health.status_code == 503
            assert health.json()["database"] == "unreachable"

            # The socket stays open: it answers a ping, and a new operation gets an error of its own.
            await socket.send({"type": "ping"})
            pong = await socket.ws.receive_json()
            assert pong["type"] == "pong", pong
            await socket.subscribe("v", VERIFICATION, {"id": "00000000-0000-0000-0000-000000000000"})
            refused = await socket.message_for("v")
            assert refused == {"id": "v", "type": "error", "payload": [UNAVAILABLE_ERROR]}
            # A new connection cannot be authenticated: it is told to try again later.
            assert await _connection_init_close_code(stack.a, token) == TRY_AGAIN_LATER
            # An event now (the subscription must re-read) waits for the database rather than failing.
            await stack.publish(f"user:{user_id}", {"type": "resync"})

        # Once the database is back, the open subscription pushes the state it could not read.
        assert (await socket.data("c"))["myTwoFactorChanged"]["enabled"] is False

        await until(lambda: _ok(stack, stack.a, token))
        # The subscription opened before the outage still delivers a change made in the other process
        # (by its own session: a first factor added by another session would move this one to the challenge).
        setup = (await stack.gql(stack.b, SET_UP_APP, token=token))["myTwoFactor"]["setUpApp"]["setup"]
        code = totp.code_at(setup["app"]["setupKey"].replace(" ", ""), totp.current_step())
        added = (await stack.gql(stack.b, SUBMIT, {"id": setup["id"], "code": code, "name": "Key"}, token))[
            "myTwoFactor"
        ]["submitCode"]
        assert added["error"] is None, added
        state = await socket.data_until("c", "myTwoFactorChanged", lambda s: s["enabled"])
        assert [a["name"] for a in state["authenticators"]] == ["Key"]

    await until(lambda: _logged(stack.a, "database reachable again", back + 1))
    # Once each way, however many requests (and mail worker passes) met the outage.
    assert log_lines(stack.a, "database unreachable") == unreachable + 1
    assert log_lines(stack.a, "database reachable again") == back + 1
    text = stack.a.log.read_text(errors="replace")
    assert "Traceback" not in text, text


async def _connection_init_close_code(server: Server, token: str) -> int | None:
    ws: AsyncWebSocketSession
    async with (
        httpx.AsyncClient() as client,
        aconnect_ws(f"{server.url}/graphql", client, subprotocols=[TRANSPORT_WS]) as ws,
    ):
        socket = Socket(ws)
        try:
            await socket.init({"authorization": f"Bearer {token}"})
        except WebSocketDisconnect as closed:
            return closed.code
    return None


async def _answers(stack: Stack, server: Server, query: str, variables: dict[str, Any]) -> bool:
    return bool((await stack.post(server, query, variables)).status_code == 200)


async def _ok(stack: Stack, server: Server, token: str) -> bool:
    return bool((await stack.post(server, MY_TWO_FACTOR, token=token)).status_code == 200)


async def _logged(server: Server, text: str, times: int) -> bool:
    return log_lines(server, text) >= times


async def test_a_set_up_completion_cut_by_the_outage_is_all_or_nothing(stack: Stack) -> None:
    user_id, email = stack.users[2]
    token = await stack.login(stack.a, email)
    setup = (await stack.gql(stack.a, SET_UP_APP, token=token))["myTwoFactor"]["setUpApp"]["setup"]
    step = totp.current_step()
    code = totp.code_at(setup["app"]["setupKey"].replace(" ", ""), step)
    blocker = await asyncpg.connect(stack.postgres.dsn)
    try:
        # The completion's transaction waits for this lock while it holds its first writes.
        await blocker.execute("BEGIN; LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
        submit = asyncio.create_task(
            stack.post(stack.a, SUBMIT, {"id": setup["id"], "code": code, "name": "App"}, token)
        )
        await until(lambda: _waiting_for_lock(stack))
        async with postgres_down(stack):
            response = await submit
            assert response.status_code == 503, response.text
    finally:
        with contextlib.suppress(Exception):
            blocker.terminate()

    await until(lambda: _ok(stack, stack.a, token))
    rows = await stack.fetch("SELECT status, failed_attempts FROM setups WHERE id = $1::uuid", setup["id"])
    assert [tuple(r) for r in rows] == [("PENDING", 0)]
    assert await stack.fetch("SELECT id FROM authenticators WHERE user_id = $1", user_id) == []
    assert await stack.fetch("SELECT id FROM outbox WHERE user_id = $1", user_id) == []
    # The code was not claimed either: it completes the set-up now, once.
    again = (await stack.gql(stack.a, SUBMIT, {"id": setup["id"], "code": code, "name": "App"}, token))["myTwoFactor"][
        "submitCode"
    ]
    assert again["error"] is None, again
    assert len(await stack.fetch("SELECT id FROM authenticators WHERE user_id = $1", user_id)) == 1


async def _waiting_for_lock(stack: Stack) -> bool:
    connection = await asyncpg.connect(stack.postgres.dsn)
    try:
        waiting = await connection.fetchval("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    finally:
        await connection.close()
    return bool(waiting)


# The server process


async def _claimed_by(stack: Stack, email: str) -> Server | None:
    """The server whose mail worker holds the claim on the message to `email`, once one does."""
    rows = await stack.fetch("SELECT claimed_by FROM outbox WHERE recipient = $1 AND claimed_until > now()", email)
    if not rows:
        return None
    pid = int(str(rows[0]["claimed_by"]).split(":")[1])
    return next(server for server in (stack.a, stack.b) if server.process.pid == pid)


async def _restart(stack: Stack, server: Server) -> None:
    """Start the server again (a new process on a new port) if it is not running."""
    if server.process.poll() is None:
        return
    fresh = start_server(server.name, stack.env, stack.directory)
    await wait_healthy(fresh)
    server.port, server.process = fresh.port, fresh.process


async def _sent(stack: Stack, email: str) -> list[tuple[str, int]]:
    rows = await stack.fetch("SELECT status, attempts FROM outbox WHERE recipient = $1", email)
    return [(r["status"], r["attempts"]) for r in rows] if rows and rows[0]["status"] == "SENT" else []


async def test_sigkill_mid_send_sends_the_message_at_most_once_more(stack: Stack, held_mail: threading.Event) -> None:
    _, email = stack.users[3]
    token = await stack.login(stack.a, email)
    started = (await stack.gql(stack.a, SET_UP_EMAIL, {"name": "Mail"}, token=token))["myTwoFactor"]["setUpEmail"]
    assert started["error"] is None, started
    # The message is on the wire, held by the SMTP server, when the process sending it dies.
    victim = await until(lambda: _claimed_by(stack, email))
    survivor = stack.b if victim is stack.a else stack.a
    try:
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=WAIT)
        held_mail.set()
        rows = await stack.fetch("SELECT status, attempts FROM outbox WHERE recipient = $1", email)
        assert [(r["status"], r["attempts"]) for r in rows] == [("PENDING", 0)]

        # Another worker sends it once the claim's lease (CLAIM_LEASE) ends: here, made to end now.
        await stack.fetch("UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE recipient = $1", email)
        assert await until(lambda: _sent(stack, email)) == [("SENT", 1)]
        assert not survivor.process.poll()
        # The held copy may have reached the mailbox too: the message went at most once more.
        delivered = [m for m in stack.smtp.received if email in m.rcpt_tos]
        assert 1 <= len(delivered) <= 2
        assert len({_code_in(m) for m in delivered}) == 1
    finally:
        await _restart(stack, victim)


async def test_sigkill_mid_completion_leaves_nothing_half_written(stack: Stack) -> None:
    user_id, email = stack.users[5]
    token = await stack.login(stack.a, email)
    setup = (await stack.gql(stack.a, SET_UP_APP, token=token))["myTwoFactor"]["setUpApp"]["setup"]
    code = totp.code_at(setup["app"]["setupKey"].replace(" ", ""), totp.current_step())
    blocker = await asyncpg.connect(stack.postgres.dsn)
    try:
        await blocker.execute("BEGIN; LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
        submit = asyncio.create_task(
            stack.post(stack.a, SUBMIT, {"id": setup["id"], "code": code, "name": "App"}, token)
        )
        await until(lambda: _waiting_for_lock(stack))
        stack.a.process.send_signal(signal.SIGKILL)
        stack.a.process.wait(timeout=WAIT)
        with pytest.raises(httpx.TransportError):
            await submit
    finally:
        await blocker.close()
        await _restart(stack, stack.a)
    rows = await stack.fetch("SELECT status FROM setups WHERE id = $1::uuid", setup["id"])
    assert [r["status"] for r in rows] == ["PENDING"]
    assert await stack.fetch("SELECT id FROM authenticators WHERE user_id = $1", user_id) == []
    again = (await stack.gql(stack.a, SUBMIT, {"id": setup["id"], "code": code, "name": "App"}, token))["myTwoFactor"][
        "submitCode"
    ]
    assert again["error"] is None, again


async def test_sigterm_finishes_requests_closes_sockets_going_away_and_the_send(
    stack: Stack, held_mail: threading.Event
) -> None:
    _, email = stack.users[4]
    _, late = stack.users[6]
    token = await stack.login(stack.a, email)
    started = (await stack.gql(stack.a, SET_UP_EMAIL, {"name": "Mail"}, token=token))["myTwoFactor"]["setUpEmail"]
    assert started["error"] is None, started
    victim = await until(lambda: _claimed_by(stack, email))  # its send is under way (held)
    blocker = await asyncpg.connect(stack.postgres.dsn)
    try:
        async with subscriber(victim, token) as socket:
            await socket.subscribe("c", CHANGED)
            # A request in flight: its sign-in waits for this lock.
            await blocker.execute("BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
            in_flight = asyncio.create_task(stack.post(victim, LOGIN, {"email": late, "password": PASSWORD}))
            await until(lambda: _waiting_for_lock(stack))

            victim.process.send_signal(signal.SIGTERM)
            # The socket is told the server is going away (clients reconnect elsewhere) ...
            with pytest.raises(WebSocketDisconnect) as closed:
                await socket.message_for("c")
            assert closed.value.code == GOING_AWAY
        # ... the request in flight finishes ...
        await blocker.execute("COMMIT")
        answered = await in_flight
        assert answered.status_code == 200, answered.text
        assert answered.json()["data"]["login"]["session"]["nextStep"] == "DONE"
        # ... and so does the send under way, recorded before the process exits.
        held_mail.set()
        await asyncio.to_thread(victim.process.wait, 3 * WAIT)
        assert await _sent(stack, email) == [("SENT", 1)]
        assert len([m for m in stack.smtp.received if email in m.rcpt_tos]) == 1
        assert "Traceback" not in victim.output()
    finally:
        await blocker.close()
        await _restart(stack, victim)


# SQLite busy


async def test_sqlite_held_by_another_process_answers_503_then_recovers(stack: Stack) -> None:
    """A backup (or any other process) holding SQLite's write lock: writes wait the busy timeout, then 503."""
    directory = stack.directory / "sqlite"
    directory.mkdir()
    path = directory / "twofactor.db"
    env = {**stack.env, "TWOFACTOR_DATABASE_URL": f"sqlite://{path}"}
    env.pop("TWOFACTOR_REDIS_URL")
    await run_command(["migrate"], env, directory)
    await run_command(
        ["user", "create", "--email", "solo@example.test", "--name", "Solo", "--password-stdin"],
        env,
        directory,
        stdin=PASSWORD + "\n",
    )
    server = start_server("sqlite", env, directory)
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        await wait_healthy(server)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, as a backup or a batch job would hold it
        signing_in = {"email": "solo@example.test", "password": PASSWORD}
        response = await stack.post(server, LOGIN, signing_in)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert response.json() == UNAVAILABLE_BODY
        holder.execute("ROLLBACK")

        # The process answers again once its probe got the write lock.
        await until(lambda: _answers(stack, server, LOGIN, signing_in))
        signed_in = await stack.gql(server, LOGIN, signing_in)
        assert signed_in["login"]["session"]["nextStep"] == "DONE"
        output = server.output()
        assert "database is locked" not in output and "Traceback" not in output, output
        assert "database unreachable (OperationalError)" in output
    finally:
        holder.close()
        stop(server)
