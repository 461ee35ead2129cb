"""Two real server processes on one PostgreSQL database and one Redis: events and mail across them.

Each process is `twofactor serve` as an operator would run it; the test talks to both over
TCP (HTTP and WebSocket) and receives their mail on its own aiosmtpd server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from helpers import (
    PASSWORD,
    PG_ADMIN_DSN,
    REDIS_URL,
    SET_UP_APP,
    SET_UP_EMAIL,
    SUBMIT,
    VERIFY_LOGIN,
    fresh_database,
    stop_process,
    until_healthy,
)
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from mail_support import SmtpServer, free_port
from redis.asyncio import Redis
from test_subscriptions import CHANGED, EDIT, TRANSPORT_WS, VERIFICATION, WAIT, Socket, holding_mail, wrong_code

from twofactor.security import totp
from twofactor.server.events import REDIS_CHANNEL_PREFIX

pytestmark = pytest.mark.multiprocess

TWOFACTOR = Path(sys.executable).with_name("twofactor")
# Start-up applies nothing new (migrations ran once before), so this covers a slow, shared machine.
START_TIMEOUT = 30.0
# Users 0-12 belong to the tests; the rest send the messages that show every mail worker made a pass.
TEST_USERS = 13
PASS_MARKERS = 6
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token session { nextStep user { id } } error { code } }
}"""


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Cluster:
    a: Server
    b: Server
    smtp: SmtpServer
    database_url: str
    redis: Redis
    users: list[tuple[int, str]]
    http: httpx.AsyncClient

    async def gql(self, server: Server, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with asyncio.timeout(WAIT):
            response = await self.http.post(
                f"{server.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def login(self, server: Server, email: str) -> str:
        payload = (await self.gql(server, LOGIN, {"email": email, "password": PASSWORD}))["login"]
        assert payload["session"]["nextStep"] == "DONE", payload
        return str(payload["token"])

    def user(self, number: int) -> tuple[int, str]:
        return self.users[number]

    async def listening(self, channel: str) -> None:
        """Wait until some process subscribed to the channel in Redis."""
        key = REDIS_CHANNEL_PREFIX + channel
        async with asyncio.timeout(WAIT):
            while dict(await self.redis.pubsub_numsub(key)).get(key.encode(), 0) < 1:
                await asyncio.sleep(0.02)

    def mails_to(self, address: str) -> list[Any]:
        return [m for m in self.smtp.received if address in m.rcpt_tos]


def unavailable(reason: str) -> None:
    """No PostgreSQL or Redis: a failure in CI, where they must run; a skip elsewhere, said out loud."""
    message = f"the multiprocess tests need PostgreSQL and Redis: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


async def check_services() -> None:
    try:
        async with asyncio.timeout(5):
            connection = await asyncpg.connect(PG_ADMIN_DSN)
            await connection.close()
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        unavailable(f"no PostgreSQL at {PG_ADMIN_DSN} ({type(error).__name__}: {error})")
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as error:
        unavailable(f"no Redis at {REDIS_URL} ({type(error).__name__}: {error})")
    finally:
        await client.aclose()


def environment(database_url: str, smtp_port: int, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(
        TWOFACTOR_ENV="development",
        TWOFACTOR_DATABASE_URL=database_url,
        TWOFACTOR_REDIS_URL=REDIS_URL,
        TWOFACTOR_MAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        TWOFACTOR_MAIL_FROM="twofactor <no-reply@example.test>",
        TWOFACTOR_SECRET_KEY=secrets.token_urlsafe(48),
        TWOFACTOR_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
    )
    return env


async def run_command(args: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> str:
    result = await asyncio.to_thread(
        subprocess.run, [str(TWOFACTOR), *args], input=stdin.encode(), capture_output=True, env=env, cwd=cwd, timeout=60
    )
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, f"twofactor {' '.join(args)} failed:\n{output}"
    return output


def start_server(name: str, env: dict[str, str], directory: Path) -> Server:
    port = free_port()
    log = directory / f"server-{name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(TWOFACTOR), "serve", "--port", str(port)],
            env=env,
            cwd=directory,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    return Server(name, port, process, log)


async def wait_healthy(server: Server) -> None:
    await until_healthy(server.process, server.url, f"server {server.name}", server.output, START_TIMEOUT)


def stop(server: Server) -> None:
    stop_process(server.process)


async def add_users(database_url: str, template_email: str, count: int) -> list[tuple[int, str]]:
    """`count` more users with the template user's password hash (the CLI made the template)."""
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        users = []
        for number in range(count):
            email = f"user{number}@example.test"
            user_id = await connection.fetchval(
                "INSERT INTO users (email, name, is_admin, password_hash, created_at, failed_verifications,"
                " sends_in_window) SELECT $1, $2, false, password_hash, now(), 0, 0 FROM users WHERE email = $3"
                " RETURNING id",
                email,
                f"User {number}",
                template_email,
            )
            users.append((int(user_id), email))
        return users
    finally:
        await connection.close()


async def spread_ids(database_url: str) -> None:
    """Start ids at a random offset: Redis channels (user:<id>, session:<id>) are shared by every run on it."""
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        for table in ("users", "sessions"):
            offset = random.randrange(10**6, 10**9)
            await connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {offset})")
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    await check_services()
    directory = tmp_path_factory.mktemp("multiprocess")
    smtp = SmtpServer()
    smtp.start()
    servers: list[Server] = []
    try:
        async with fresh_database("postgres", directory) as database_url, httpx.AsyncClient() as http:
            env = environment(database_url, smtp.port, directory)
            await run_command(["migrate"], env, directory)
            await spread_ids(database_url)
            created = await run_command(
                ["user", "create", "--email", "template@example.test", "--name", "Template", "--password-stdin"],
                env,
                directory,
                stdin=PASSWORD + "\n",
            )
            assert "created user template@example.test" in created
            users = await add_users(database_url, "template@example.test", TEST_USERS + PASS_MARKERS)
            servers.append(start_server("a", env, directory))
            servers.append(start_server("b", env, directory))
            await asyncio.gather(*(wait_healthy(s) for s in servers))
            redis = Redis.from_url(REDIS_URL)
            try:
                yield Cluster(servers[0], servers[1], smtp, database_url, redis, users, http)
            finally:
                await redis.aclose()
                for server in servers:
                    stop(server)
    finally:
        for server in servers:
            stop(server)
        smtp.stop()


@contextlib.asynccontextmanager
async def subscriber(server: Server, token: str) -> AsyncIterator[Socket]:
    """A graphql-transport-ws connection over TCP to one server process."""
    ws: AsyncWebSocketSession
    async with (
        httpx.AsyncClient() as client,
        aconnect_ws(f"{server.url}/graphql", client, subprotocols=[TRANSPORT_WS]) as ws,
    ):
        socket = Socket(ws)
        ack = await socket.init({"authorization": f"Bearer {token}"})
        assert ack["type"] == "connection_ack", ack
        yield socket


@pytest.fixture
def held_mail(cluster: Cluster) -> Iterator[threading.Event]:
    """The test's SMTP server holds each message until the event is set."""
    with holding_mail(cluster.smtp.collector) as gate:
        yield gate


async def test_change_made_through_b_reaches_a_subscriber_on_a(cluster: Cluster) -> None:
    user_id, email = cluster.user(0)
    token_b = await cluster.login(cluster.b, email)  # the user's other device, served by the other process
    setup = (await cluster.gql(cluster.b, SET_UP_APP, token=token_b))["myTwoFactor"]["setUpApp"]["setup"]
    secret, step = setup["app"]["setupKey"].replace(" ", ""), totp.current_step()
    added = (
        await cluster.gql(
            cluster.b, SUBMIT, {"id": setup["id"], "code": totp.code_at(secret, step), "name": "Phone"}, token_b
        )
    )["myTwoFactor"]["submitCode"]
    assert added["error"] is None, added
    # A signs in with the new factor (a session that never proved one would owe the challenge).
    login = (await cluster.gql(cluster.a, LOGIN, {"email": email, "password": PASSWORD}))["login"]
    variables = {"id": added["authenticator"]["id"], "code": totp.code_at(secret, step + 1)}
    token_a = (await cluster.gql(cluster.a, VERIFY_LOGIN, variables, token=login["token"]))["verifyLogin"]["token"]
    async with subscriber(cluster.a, token_a) as socket:
        await socket.subscribe("c", CHANGED)
        await cluster.listening(f"user:{user_id}")

        renamed = await cluster.gql(
            cluster.b, EDIT, {"id": added["authenticator"]["id"], "name": "Old phone"}, token=token_b
        )
        assert renamed["myTwoFactor"]["edit"]["error"] is None
        state = await socket.data_until(
            "c", "myTwoFactorChanged", lambda s: [a["name"] for a in s["authenticators"]] == ["Old phone"]
        )
        assert state["enabled"] is True


async def test_verification_on_a_follows_a_set_up_made_through_b(cluster: Cluster, held_mail: threading.Event) -> None:
    _, email = cluster.user(1)
    token = await cluster.login(cluster.b, email)
    setup = (await cluster.gql(cluster.b, SET_UP_EMAIL, {"name": "Mail"}, token=token))["myTwoFactor"]["setUpEmail"][
        "setup"
    ]
    async with subscriber(cluster.a, token) as socket:
        await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
        first = (await socket.data("v"))["myTwoFactorVerification"]
        assert first["status"] == "PENDING"

        held_mail.set()  # whichever process claimed the message can deliver it now
        sent = (await socket.data("v"))["myTwoFactorVerification"]
        assert sent["status"] == "CODE_SENT"
        async with asyncio.timeout(WAIT):
            while not cluster.mails_to(email):
                await asyncio.sleep(0.02)
        code = _code_in(cluster.mails_to(email)[0])

        submit = {"id": setup["id"], "code": wrong_code(code)}
        wrong = (await cluster.gql(cluster.b, SUBMIT, submit, token))["myTwoFactor"]["submitCode"]
        assert wrong["error"]["code"] == "INVALID_CODE"
        assert (await socket.data("v"))["myTwoFactorVerification"]["attemptsLeft"] == 4

        right = (await cluster.gql(cluster.b, SUBMIT, {**submit, "code": code}, token))["myTwoFactor"]["submitCode"]
        assert right["error"] is None, right
        assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "VERIFIED"
        assert await socket.ended("v") == "complete"


def _code_in(message: Any) -> str:
    found = re.search(r"\b(\d{6})\b", message.part("text/plain"))
    assert found, "no code in the message"
    return found.group(1)


async def test_each_outbox_message_is_sent_once_with_two_workers(cluster: Cluster) -> None:
    users = [cluster.user(number) for number in range(2, 12)]
    servers = [cluster.a, cluster.b]
    tokens = await asyncio.gather(*(cluster.login(servers[n % 2], email) for n, (_, email) in enumerate(users)))
    # All at once, half through each process: both workers race for the same rows.
    payloads = await asyncio.gather(
        *(cluster.gql(servers[n % 2], SET_UP_EMAIL, {"name": "Mail"}, token) for n, token in enumerate(tokens))
    )
    assert all(p["myTwoFactor"]["setUpEmail"]["error"] is None for p in payloads), payloads
    addresses = {email for _, email in users}

    connection = await asyncpg.connect(cluster.database_url.replace("postgres://", "postgresql://", 1))
    try:
        user_ids = [user_id for user_id, _ in users]
        async with asyncio.timeout(3 * WAIT):
            while await connection.fetchval(
                "SELECT count(*) FROM outbox WHERE user_id = ANY($1) AND status = 'PENDING'", user_ids
            ):
                await asyncio.sleep(0.05)
        rows = await connection.fetch(
            "SELECT recipient, status, attempts FROM outbox WHERE user_id = ANY($1)", user_ids
        )
    finally:
        await connection.close()
    assert sorted(r["recipient"] for r in rows) == sorted(addresses)
    assert {(r["status"], r["attempts"]) for r in rows} == {("SENT", 1)}

    # Every pass that could have claimed these messages is over, its sends (duplicates too) with it.
    await every_worker_passed(cluster, servers)
    received = [m for m in cluster.smtp.received if addresses & set(m.rcpt_tos)]
    per_address = {address: len(cluster.mails_to(address)) for address in addresses}
    assert len(received) == 10
    assert per_address == dict.fromkeys(addresses, 1)


async def every_worker_passed(cluster: Cluster, servers: list[Server]) -> None:
    """Each server's mail worker claims a message queued from now on: it began a pass since, so
    its earlier passes are over, and their sends with them (a pass ends once its sends have).

    Each marker message is a set-up by email started through a server not seen yet, whose own
    worker it wakes first; its row tells which worker claimed it (the process id is in its id)."""
    waiting = {server.process.pid: server for server in servers}
    markers = [cluster.user(number) for number in range(TEST_USERS, TEST_USERS + PASS_MARKERS)]
    connection = await asyncpg.connect(cluster.database_url.replace("postgres://", "postgresql://", 1))
    try:
        for user_id, email in markers:
            if not waiting:
                return
            server = next(iter(waiting.values()))
            token = await cluster.login(server, email)
            started = (await cluster.gql(server, SET_UP_EMAIL, {"name": "Mail"}, token))["myTwoFactor"]["setUpEmail"]
            assert started["error"] is None, started
            sql = "SELECT claimed_by FROM outbox WHERE user_id = $1 AND status = 'SENT'"
            async with asyncio.timeout(WAIT):
                while (claimed_by := await connection.fetchval(sql, user_id)) is None:
                    await asyncio.sleep(0.02)
            waiting.pop(int(claimed_by.split(":")[-2]), None)
    finally:
        await connection.close()
    assert not waiting, f"server {[s.name for s in waiting.values()]} claimed none of {PASS_MARKERS} messages"


async def test_every_subscription_is_confirmed_by_redis(cluster: Cluster) -> None:
    """Subscribing to the same channels again and again: each time, Redis's confirmation is seen.

    A subscription waits for Redis to confirm its SUBSCRIBE (so no event published right after is lost);
    a reply that arrives before the waiter is registered used to cost that wait's full timeout.
    """
    _, email = cluster.user(12)
    token = await cluster.login(cluster.a, email)
    cancel = "mutation($id: ID!) { myTwoFactor { cancelSetup(setupId: $id) { setup { status } } } }"
    async with subscriber(cluster.a, token) as socket:
        for number in range(3):
            setup = (await cluster.gql(cluster.a, SET_UP_APP, token=token))["myTwoFactor"]["setUpApp"]["setup"]
            op_id = f"v{number}"
            await socket.subscribe(op_id, VERIFICATION, {"id": setup["id"]})
            assert (await socket.data(op_id))["myTwoFactorVerification"]["status"] == "PENDING"
            await cluster.gql(cluster.b, cancel, {"id": setup["id"]}, token=token)
            assert (await socket.data(op_id))["myTwoFactorVerification"]["status"] == "CANCELLED"
            assert await socket.ended(op_id) == "complete"
    for server in (cluster.a, cluster.b):
        log = server.log.read_text(errors="replace")
        assert "did not confirm the subscription" not in log, server.output()


async def test_a_websocket_message_over_the_body_limit_closes_the_connection(cluster: Cluster) -> None:
    """uvicorn would read 16 MiB; a message is held to the HTTP body limit (and a document to its own)."""
    from httpx_ws import WebSocketDisconnect

    from twofactor.server.app import MAX_BODY_BYTES

    padding = "x" * MAX_BODY_BYTES
    ws: AsyncWebSocketSession
    # The close comes out of httpx-ws's task group, wrapped in exception groups.
    with pytest.raises(BaseException) as raised:
        async with (
            httpx.AsyncClient() as client,
            aconnect_ws(f"{cluster.a.url}/graphql", client, subprotocols=[TRANSPORT_WS]) as ws,
        ):
            await ws.send_json({"type": "connection_init", "payload": {"pad": padding}})
            await ws.receive_text(timeout=WAIT)
    closes = [e for e in _leaves(raised.value) if isinstance(e, WebSocketDisconnect)]
    assert [e.code for e in closes] == [1009], raised.value
    assert (await cluster.http.get(f"{cluster.a.url}/healthz")).status_code == 200


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]
