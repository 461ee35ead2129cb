"""Live status under load: submitCode -> VERIFIED latency, fan-out rate, memory per open subscription.

Starts one `twofactor serve` (SQLite in a temporary directory, mail to an aiosmtpd sink run by this
script, in-process events unless --redis is given) and talks to it over loopback WebSockets with the
graphql-transport-ws protocol, as a browser would:

1. latency: a few hundred APP set-ups, each watched with myTwoFactorVerification; the time from the
   submitCode response to the subscriber's VERIFIED event (and from the request's start);
2. fan-out: 100, then 1,000 myTwoFactorChanged subscriptions (5 per connection, the server's cap),
   an administrator changes the policy, and the time until every subscriber has its push;
3. memory: the server's VmRSS before, with 100 and with 1,000 open subscriptions;
4. latency under load: step 1 again while the server pushes about --load-rate deliveries/s to
   --load-subscribers other myTwoFactorChanged subscriptions (a policy change every
   subscribers/rate seconds); the rate actually delivered is printed next to it.

    .venv/bin/python bench/subscriptions.py [--setups 300] [--fanout 100,1000] [--redis redis://...]

Every wait is bounded; the whole run stops after --budget seconds. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from twofactor.security import totp
from twofactor.security.rules import MAX_SUBSCRIPTIONS_PER_USER

TWOFACTOR = Path(sys.executable).with_name("twofactor")
PASSWORD = "correct horse battery staple"
WAIT = 30.0  # the longest any one step may wait
PER_CONNECTION = 5  # the server's cap on subscriptions per connection

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token session { nextStep } error { code } } }"""
SET_UP_APP = "mutation { myTwoFactor { setUpApp { setup { id app { setupKey } } error { code } } } }"
SUBMIT = """mutation($id: ID!, $code: String!, $name: String) {
  myTwoFactor { submitCode(setupId: $id, code: $code, name: $name) { authenticator { id } error { code } } } }"""
SET_POLICY = """mutation($on: Boolean!) { admin {
  setTwoFactorPolicy(input: {recoveryCodesEnabled: $on}) { policy { recoveryCodesEnabled } error { code } } } }"""
VERIFICATION = "subscription($id: ID!) { myTwoFactorVerification(setupId: $id) { status attemptsLeft } }"
CHANGED = """subscription { myTwoFactorChanged {
  enabled mandatory availableMethods recoveryCodesRemaining authenticators { id name method } } }"""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Sink:
    """An SMTP server that accepts and counts (the notices each new authenticator sends)."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (all its threads)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    database: Path
    log: Path


def run_cli(args: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> None:
    result = subprocess.run(
        [str(TWOFACTOR), *args], input=stdin.encode(), capture_output=True, env=env, cwd=cwd, timeout=120
    )
    if result.returncode != 0:
        raise SystemExit(f"twofactor {args[0]} failed:\n{(result.stdout + result.stderr).decode()}")


def clone_users(database: Path, template: str, count: int, prefix: str) -> list[str]:
    """Users with the template's password hash (one argon2 hash, made by the CLI)."""
    emails = [f"{prefix}{n}@example.test" for n in range(count)]
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.executemany(
            "INSERT INTO users (email, name, is_admin, password_hash, created_at, failed_verifications,"
            " sends_in_window) SELECT ?, ?, 0, password_hash, created_at, 0, 0 FROM users WHERE email = ?",
            [(email, f"Bench {n}", template) for n, email in enumerate(emails)],
        )
    return emails


@contextlib.asynccontextmanager
async def server(directory: Path, smtp_port: int, redis_url: str | None, users: int) -> AsyncIterator[Server]:
    database = directory / "bench.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFACTOR_")}
    env.update(
        TWOFACTOR_ENV="development",
        TWOFACTOR_DATABASE_URL=f"sqlite://{database}",
        TWOFACTOR_MAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        TWOFACTOR_SECRET_KEY=secrets.token_urlsafe(48),
        TWOFACTOR_DATA_DIR=str(directory),
    )
    if redis_url:
        env["TWOFACTOR_REDIS_URL"] = redis_url
    run_cli(["migrate"], env, directory)
    admin = ["user", "create", "--email", "admin@example.test", "--name", "Admin", "--admin", "--password-stdin"]
    run_cli(admin, env, directory, PASSWORD + "\n")
    # Users for the latency steps, and as many for the fan-out (with a fixed page: see `give_authenticators`).
    clone_users(database, "admin@example.test", users, "bench")
    clone_users(database, "admin@example.test", users, "fan")
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE users SET is_admin = 0 WHERE email != 'admin@example.test'")
    port = free_port()
    log_path = directory / "server.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [str(TWOFACTOR), "serve", "--no-migrate", "--port", str(port)],
            env=env,
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http, asyncio.timeout(WAIT):
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the server exited:\n{log_path.read_text()[-3000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield Server(process, url, database, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# --- the client -----------------------------------------------------------------------------


@dataclass
class Connection:
    """One WebSocket; a reader task time-stamps each message the moment it arrives."""

    ws: ClientConnection
    inbox: dict[str, asyncio.Queue[tuple[float, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(asyncio.Queue)
    )
    on_next: Any = None  # called with (operation id, arrival time, message) for every `next` message
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.ws:
                message = json.loads(frame)
                arrived = time.perf_counter()
                if message.get("type") == "ping":
                    await self.send({"type": "pong"})
                    continue
                if message.get("type") == "next" and self.on_next is not None:
                    self.on_next((id(self), message.get("id")), arrived, message)
                    continue
                self.inbox[str(message.get("id"))].put_nowait((arrived, message))

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send({"type": "subscribe", "id": op_id, "payload": {"query": query, "variables": variables}})

    async def message(self, op_id: str) -> tuple[float, dict[str, Any]]:
        async with asyncio.timeout(WAIT):
            return await self.inbox[op_id].get()


@contextlib.asynccontextmanager
async def connect(url: str, token: str) -> AsyncIterator[Connection]:
    """A graphql-transport-ws connection signed in with the token.

    The `websockets` client costs the bench's one process a fraction of what httpx-ws does per
    message, so a fan-out is not timed by the client. Like httpx-ws it asks for no compression.
    """
    async with ws_connect(
        url.replace("http://", "ws://", 1) + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        compression=None,
        ping_interval=None,
        open_timeout=WAIT,
    ) as ws:
        connection = Connection(ws)
        await connection.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        async with asyncio.timeout(WAIT):
            ack = json.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            raise SystemExit(f"connection refused: {ack}")
        connection.reader = asyncio.create_task(connection.read())
        try:
            yield connection
        finally:
            connection.reader.cancel()
            await asyncio.gather(connection.reader, return_exceptions=True)


async def gql(client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any], token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"request failed ({response.status_code}): {body}")
    return body["data"]


async def login(client: httpx.AsyncClient, url: str, email: str) -> str:
    payload = (await gql(client, url, LOGIN, {"email": email, "password": PASSWORD}))["login"]
    if payload["token"] is None:
        raise SystemExit(f"login failed: {payload}")
    return str(payload["token"])


# --- the measurements -----------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def verified_latency(
    client: httpx.AsyncClient, url: str, tokens: list[str], count: int, deadline: float, phase: str = "App"
) -> tuple[list[float], list[float]]:
    """(response -> VERIFIED, request start -> VERIFIED) in seconds, one set-up at a time.

    Authenticators are named after the phase and a number: names are unique per user.
    """
    from_response: list[float] = []
    from_request: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(connect(url, token)) for token in tokens]
        for number in range(count):
            if time.monotonic() > deadline:
                log(f"latency: time budget reached after {number} set-ups")
                break
            slot = number % len(tokens)
            token, connection = tokens[slot], connections[slot]
            setup = (await gql(client, url, SET_UP_APP, {}, token))["myTwoFactor"]["setUpApp"]["setup"]
            op_id = f"v{number}"
            await connection.subscribe(op_id, VERIFICATION, {"id": setup["id"]})
            _, first = await connection.message(op_id)
            assert first["payload"]["data"]["myTwoFactorVerification"]["status"] == "PENDING", first
            code = totp.code_at(setup["app"]["setupKey"].replace(" ", ""), totp.current_step())
            started = time.perf_counter()
            result = await gql(
                client, url, SUBMIT, {"id": setup["id"], "code": code, "name": f"{phase} {number}"}, token
            )
            answered = time.perf_counter()
            assert result["myTwoFactor"]["submitCode"]["error"] is None, result
            arrived, event = await connection.message(op_id)
            assert event["payload"]["data"]["myTwoFactorVerification"]["status"] == "VERIFIED", event
            await connection.message(op_id)  # complete
            from_response.append(arrived - answered)
            from_request.append(arrived - started)
    return from_response, from_request


async def give_authenticators(client: httpx.AsyncClient, url: str, tokens: list[str], count: int) -> None:
    """`count` app authenticators for each user: the page every fan-out push carries has as many.

    Fan-out users are not the latency steps' users, whose page grows with every set-up timed
    (with 300 set-ups for 20 users, 15 authenticators each).
    """
    for token in tokens:
        for number in range(count):
            setup = (await gql(client, url, SET_UP_APP, {}, token))["myTwoFactor"]["setUpApp"]["setup"]
            code = totp.code_at(setup["app"]["setupKey"].replace(" ", ""), totp.current_step())
            variables = {"id": setup["id"], "code": code, "name": f"Fan-out {number}"}
            result = await gql(client, url, SUBMIT, variables, token)
            assert result["myTwoFactor"]["submitCode"]["error"] is None, result


@dataclass
class Round:
    expected: int
    authenticators: int = 0  # each subscriber's user has this many, so every push must show them
    received: int = 0
    last: float = 0.0
    seen: set[object] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self, key: object, moment: float, message: dict[str, Any]) -> None:
        # A push that carries an error (or no data) is cheaper to make: it must not pass as a delivery.
        payload = message.get("payload") or {}
        if payload.get("errors") or not payload.get("data"):
            raise SystemExit(f"a subscriber got an error instead of its data: {message}")
        # So is a page without the user's authenticators, and it would be wrong.
        if len(payload["data"]["myTwoFactorChanged"]["authenticators"]) != self.authenticators:
            raise SystemExit(f"a subscriber was not shown its user's {self.authenticators} authenticators: {message}")
        self.seen.add(key)
        self.received += 1
        self.last = moment
        if self.received >= self.expected:
            self.done.set()


@contextlib.asynccontextmanager
async def changed_subscribers(
    client: httpx.AsyncClient, server: Server, tokens: list[str], admin_token: str, subscribers: int, counter: Round
) -> AsyncIterator[int]:
    """`subscribers` live myTwoFactorChanged subscriptions, each proven by a push; yields the connections."""
    async with contextlib.AsyncExitStack() as stack:
        connections = []
        for number in range((subscribers + PER_CONNECTION - 1) // PER_CONNECTION):
            connection = await stack.enter_async_context(connect(server.url, tokens[number % len(tokens)]))
            connection.on_next = counter.arrived
            connections.append(connection)
        opened = 0
        for connection in connections:
            for slot in range(min(PER_CONNECTION, subscribers - opened)):
                await connection.subscribe(f"c{slot}", CHANGED)
                opened += 1
        # Subscriptions send nothing first: warm-up changes until every one has had a push proves them live.
        counter.expected = sys.maxsize
        async with asyncio.timeout(WAIT):
            while len(counter.seen) < subscribers:
                await gql(client, server.url, SET_POLICY, {"on": False}, admin_token)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        while len(counter.seen) < subscribers:
                            await asyncio.sleep(0.05)
            # Then quiet: no warm-up push is still on its way when the timing starts.
            while True:
                received = counter.received
                await asyncio.sleep(1.0)
                if counter.received == received:
                    break
        yield len(connections)


@dataclass
class Fanout:
    durations: list[float]  # seconds until every subscriber had the change, per round
    answers: list[float]  # seconds until the change's own request was answered, per round
    cpu: float  # server CPU seconds over all rounds (the policy changes' own requests included)
    client_cpu: float  # this process's CPU seconds over the same rounds
    rss_before: int  # KiB
    rss: int  # KiB, with the subscriptions open
    connections: int


async def fanout(
    client: httpx.AsyncClient,
    server: Server,
    tokens: list[str],
    admin_token: str,
    subscribers: int,
    rounds: int,
    authenticators: int,
    warmup: int,
) -> Fanout:
    """Policy changes pushed to `subscribers` subscriptions, timed one at a time after `warmup`
    untimed ones (the first pushes of fresh subscriptions cost more, as a server's first
    requests do: the HTTP flows are timed after a warm-up too)."""
    counter = Round(expected=0, authenticators=authenticators)
    rss_before = rss_kib(server.process.pid)
    async with changed_subscribers(client, server, tokens, admin_token, subscribers, counter) as connections:
        for number in range(warmup):
            counter.expected, counter.received = subscribers, 0
            counter.done.clear()
            await gql(client, server.url, SET_POLICY, {"on": number % 2 == 0}, admin_token)
            async with asyncio.timeout(WAIT):
                await counter.done.wait()
        durations: list[float] = []
        answers: list[float] = []
        cpu_before, client_before = cpu_seconds(server.process.pid), time.process_time()
        for number in range(warmup, warmup + rounds):
            counter.expected, counter.received = subscribers, 0
            counter.done.clear()
            started = time.perf_counter()
            await gql(client, server.url, SET_POLICY, {"on": number % 2 == 0}, admin_token)
            answers.append(time.perf_counter() - started)
            async with asyncio.timeout(WAIT):
                await counter.done.wait()
            durations.append(counter.last - started)
        cpu, client_cpu = cpu_seconds(server.process.pid) - cpu_before, time.process_time() - client_before
        await asyncio.sleep(0.5)
        rss = rss_kib(server.process.pid)
    return Fanout(durations, answers, cpu, client_cpu, rss_before, rss, connections)


@dataclass
class Load:
    """Deliveries counted while a background load runs."""

    counter: Round
    started: float = 0.0
    stopped: float = 0.0
    received: int = 0

    @property
    def rate(self) -> float:
        return self.received / max(self.stopped - self.started, 1e-9)


@contextlib.asynccontextmanager
async def background_load(
    client: httpx.AsyncClient,
    server: Server,
    tokens: list[str],
    admin_token: str,
    subscribers: int,
    rate: float,
    authenticators: int,
) -> AsyncIterator[Load]:
    """About `rate` deliveries/s to `subscribers` subscriptions: a policy change every subscribers/rate s."""
    load = Load(Round(expected=0, authenticators=authenticators))
    async with changed_subscribers(client, server, tokens, admin_token, subscribers, load.counter):
        period = subscribers / rate

        async def change_policy() -> None:
            number = 0
            next_at = time.perf_counter()
            while True:
                await gql(client, server.url, SET_POLICY, {"on": number % 2 == 0}, admin_token)
                number += 1
                # Paced by the clock, not by the answers: a slow server gets the same offered load.
                next_at += period
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

        load.counter.received = 0
        load.started = time.perf_counter()
        changer = asyncio.create_task(change_policy())
        try:
            await asyncio.sleep(1.0)  # into the steady state before the measurement starts
            yield load
        finally:
            changer.cancel()
            await asyncio.gather(changer, return_exceptions=True)
            load.stopped = time.perf_counter()
            load.received = load.counter.received


def latency_rows(label: str, from_response: list[float], from_request: list[float]) -> list[tuple[str, str]]:
    ms = [v * 1000 for v in from_response]
    ms_request = [v * 1000 for v in from_request]
    return [
        (f"{label}set-ups measured", f"{len(ms)}"),
        (f"{label}submitCode response -> VERIFIED, median", f"{statistics.median(ms):.2f} ms"),
        (f"{label}submitCode response -> VERIFIED, p99", f"{percentile(ms, 0.99):.2f} ms"),
        (f"{label}submitCode request -> VERIFIED, median", f"{statistics.median(ms_request):.2f} ms"),
        (f"{label}submitCode request -> VERIFIED, p99", f"{percentile(ms_request, 0.99):.2f} ms"),
        (f"{label}events before their response", f"{sum(v < 0 for v in ms)} of {len(ms)}"),
    ]


async def main(arguments: argparse.Namespace) -> None:
    fanouts = [int(n) for n in arguments.fanout.split(",") if n]
    deadline = time.monotonic() + arguments.budget
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="twofactor-bench-") as temporary:
            # Enough users that none holds more live subscriptions than the server allows one user.
            most = max([*fanouts, arguments.load_subscribers, 1])
            users = max(arguments.users, -(-most // MAX_SUBSCRIPTIONS_PER_USER))
            async with (
                server(Path(temporary), controller.port, arguments.redis, users) as running,
                httpx.AsyncClient(limits=httpx.Limits(max_connections=None), timeout=WAIT) as client,
                asyncio.timeout(arguments.budget + 60),
            ):
                log(f"server pid {running.process.pid} on {running.url}; {users} users")
                tokens = [await login(client, running.url, f"bench{n}@example.test") for n in range(users)]
                fan_tokens = [await login(client, running.url, f"fan{n}@example.test") for n in range(users)]
                await give_authenticators(client, running.url, fan_tokens, arguments.authenticators)
                admin_token = await login(client, running.url, "admin@example.test")
                idle_rss = rss_kib(running.process.pid)

                log(f"latency: {arguments.setups} set-ups")
                from_response, from_request = await verified_latency(
                    client, running.url, tokens, arguments.setups, deadline
                )
                rows: list[tuple[str, str]] = []
                if from_response:
                    rows += latency_rows("", from_response, from_request)
                rows.append(("server RSS, idle", f"{idle_rss / 1024:.1f} MiB"))
                for subscribers in fanouts:
                    if time.monotonic() > deadline:
                        log(f"fan-out {subscribers}: skipped, time budget reached")
                        continue
                    log(f"fan-out: {subscribers} subscribers")
                    result = await fanout(
                        client,
                        running,
                        fan_tokens,
                        admin_token,
                        subscribers,
                        arguments.rounds,
                        arguments.authenticators,
                        arguments.warmup,
                    )
                    median = statistics.median(result.durations)
                    # CPU per delivery holds still on a shared machine when wall-clock times do not.
                    deliveries = subscribers * len(result.durations)
                    cpu_each, client_each = result.cpu / deliveries, result.client_cpu / deliveries
                    rss, before = result.rss, result.rss_before
                    rows += [
                        (f"fan-out to {subscribers}: all pushed, median", f"{median * 1000:.1f} ms"),
                        (
                            f"fan-out to {subscribers}: the change answered, median",
                            f"{statistics.median(result.answers) * 1000:.1f} ms",
                        ),
                        (f"fan-out to {subscribers}: deliveries/s", f"{subscribers / median:,.0f}"),
                        (
                            f"fan-out to {subscribers}: CPU per delivery, server / bench client",
                            f"{cpu_each * 1e6:.0f} / {client_each * 1e6:.0f} us",
                        ),
                        (
                            f"server RSS, {subscribers} open ({result.connections} connections)",
                            f"{rss / 1024:.1f} MiB (+{(rss - before) / subscribers:.1f} KiB each)",
                        ),
                    ]
                # Last, so the memory figures above are not those of a process that just ran a load.
                if arguments.setups and arguments.load_rate > 0 and time.monotonic() < deadline:
                    subscribers = arguments.load_subscribers
                    log(f"latency under load: {arguments.setups} set-ups, {subscribers} subscribers")
                    async with background_load(
                        client,
                        running,
                        fan_tokens,
                        admin_token,
                        subscribers,
                        arguments.load_rate,
                        arguments.authenticators,
                    ) as load:
                        from_response, from_request = await verified_latency(
                            client, running.url, tokens, arguments.setups, deadline, "Loaded"
                        )
                    if from_response:
                        rows.append((f"background load ({subscribers} subscribers)", f"{load.rate:,.0f} deliveries/s"))
                        rows += latency_rows("under load: ", from_response, from_request)
                elif arguments.load_rate > 0:
                    log("latency under load: skipped, time budget reached")
                rows.append(("mail accepted by the sink", f"{sink.count}"))
    finally:
        controller.stop()
    broker = "Redis pub/sub" if arguments.redis else "in-process events"
    print(f"\nsubscriptions: one `twofactor serve` process, SQLite, {broker}, {os.cpu_count()} CPUs")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>24}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setups", type=int, default=300, help="set-ups timed for the VERIFIED latency")
    parser.add_argument("--fanout", default="100,1000", help="subscriber counts for the fan-out rounds")
    parser.add_argument("--rounds", type=int, default=10, help="policy changes timed per fan-out (the median is kept)")
    parser.add_argument("--warmup", type=int, default=3, help="policy changes pushed before the timed ones")
    parser.add_argument("--users", type=int, default=20, help="users whose sessions share the connections")
    parser.add_argument(
        "--authenticators", type=int, default=3, help="app authenticators of each fan-out user (the page pushed)"
    )
    parser.add_argument("--redis", default=None, help="a redis:// URL: events through Redis instead of in-process")
    parser.add_argument("--budget", type=float, default=180, help="seconds after which measuring stops")
    parser.add_argument(
        "--load-rate", type=float, default=1000, help="deliveries/s of background load for step 4 (0: skip it)"
    )
    parser.add_argument(
        "--load-subscribers", type=int, default=100, help="myTwoFactorChanged subscriptions receiving that load"
    )
    asyncio.run(main(parser.parse_args()))
