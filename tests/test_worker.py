"""`twofactor worker` beside `twofactor serve --no-mail`: two real processes, one database, one Redis.

The server queues the mail and sends none; the worker sends it and its delivery result reaches the
server's subscribers through Redis. Both databases; each test has a Redis prefix of its own. Then,
in this process: the wake a server sends the worker through Redis, and the setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from helpers import (
    BACKENDS,
    PASSWORD,
    REDIS_URL,
    SET_UP_EMAIL,
    SUBMIT,
    CountedWorker,
    Harness,
    fresh_database,
    signed_in,
)
from mail_support import Collector, SmtpServer, free_port
from redis.asyncio import Redis
from test_multiprocess import (
    LOGIN,
    START_TIMEOUT,
    TWOFACTOR,
    Server,
    check_services,
    environment,
    run_command,
    stop,
    subscriber,
    wait_healthy,
)
from test_subscriptions import VERIFICATION, WAIT

from twofactor.mail.backends import backend_for
from twofactor.mail.outbox import STOP_GRACE
from twofactor.resolvers.setup_status import delivery_result
from twofactor.server.cli import startup_summary
from twofactor.server.events import MAIL_WAKE_CHANNEL, MailWakeSender, RedisBroker
from twofactor.server.mail_worker import follow_wakes
from twofactor.server.settings import SettingsError, load_settings

EMAIL = "ada@example.test"
# SIGTERM ends an idle worker at once; one with a send under way, once the send is done.
EXIT_BOUND = STOP_GRACE + 10


@dataclass
class Deployment:
    serve: Server
    worker: Server
    smtp: SmtpServer
    database_url: str
    env: dict[str, str]
    directory: Path
    http: httpx.AsyncClient

    async def gql(self, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with asyncio.timeout(WAIT):
            response = await self.http.post(
                f"{self.serve.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def login(self) -> str:
        payload = (await self.gql(LOGIN, {"email": EMAIL, "password": PASSWORD}))["login"]
        assert payload["session"]["nextStep"] == "DONE", payload
        return str(payload["token"])

    async def set_up_email(self, token: str) -> dict[str, Any]:
        payload = (await self.gql(SET_UP_EMAIL, {"name": "Mail"}, token))["myTwoFactor"]["setUpEmail"]
        assert payload["error"] is None, payload
        setup: dict[str, Any] = payload["setup"]
        return setup

    async def mail(self) -> Any:
        async with asyncio.timeout(WAIT):
            while not self.smtp.received:
                await asyncio.sleep(0.02)
        return self.smtp.received[0]

    async def outbox(self) -> list[tuple[str, str | None]]:
        """(status, claimed_by) of every outbox row, oldest first."""
        query = 'SELECT "status", "claimed_by" FROM "outbox" ORDER BY "id"'
        if self.database_url.startswith("sqlite://"):
            with contextlib.closing(sqlite3.connect(self.database_url.removeprefix("sqlite://"))) as connection:
                return [(str(status), claimed) for status, claimed in connection.execute(query)]
        connection = await asyncpg.connect(self.database_url.replace("postgres://", "postgresql://", 1))
        try:
            return [(str(row["status"]), row["claimed_by"]) for row in await connection.fetch(query)]
        finally:
            await connection.close()


def start(name: str, args: list[str], env: dict[str, str], directory: Path, port: int = 0) -> Server:
    log = directory / f"{name}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [str(TWOFACTOR), *args], env=env, cwd=directory, stdout=handle, stderr=subprocess.STDOUT
        )
    return Server(name, port, process, log)


async def logged(server: Server, pattern: str) -> re.Match[str]:
    """The first match of `pattern` in the process's output, once it is there (bounded wait)."""
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while True:
                found = re.search(pattern, server.log.read_text(errors="replace"))
                if found is not None:
                    return found
                if server.process.poll() is not None:
                    pytest.fail(f"{server.name} exited ({server.process.returncode}):\n{server.output()}")
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"{server.name} never logged {pattern!r}:\n{server.output()}")


async def ended(server: Server) -> int:
    """The exit code of a process told to stop (bounded wait)."""
    try:
        return await asyncio.to_thread(server.process.wait, EXIT_BOUND)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{server.name} still running {EXIT_BOUND:.0f} s after SIGTERM:\n{server.output()}")


@contextlib.contextmanager
def holding_mail(collector: Collector) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The SMTP server holds each message until `gate` is set; `arrived` is set when one is held."""
    gate, arrived = threading.Event(), threading.Event()
    original = collector.handle_DATA

    async def held(server: Any, session: Any, envelope: Any) -> str:
        arrived.set()
        # aiosmtpd runs its own loop in a thread: wait off that loop, bounded.
        await asyncio.get_running_loop().run_in_executor(None, gate.wait, WAIT)
        return await original(server, session, envelope)

    collector.handle_DATA = held  # type: ignore[method-assign]
    try:
        yield gate, arrived
    finally:
        gate.set()
        del collector.handle_DATA


@pytest.fixture(params=BACKENDS)
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    await check_services()
    smtp = SmtpServer()
    smtp.start()
    processes: list[Server] = []
    try:
        async with fresh_database(request.param, tmp_path) as database_url, httpx.AsyncClient() as http:
            env = environment(database_url, smtp.port, tmp_path)
            # Channels (user:<id>, outbox) of this test's processes only: other runs share this Redis.
            env["TWOFACTOR_REDIS_PREFIX"] = f"test-worker-{uuid.uuid4().hex}"
            await run_command(["migrate"], env, tmp_path)
            created = await run_command(
                ["user", "create", "--email", EMAIL, "--name", "Ada", "--password-stdin"],
                env,
                tmp_path,
                stdin=PASSWORD + "\n",
            )
            assert f"created user {EMAIL}" in created
            port = free_port()
            processes.append(
                start("serve", ["serve", "--no-migrate", "--no-mail", "--port", str(port)], env, tmp_path, port)
            )
            processes.append(start("worker", ["worker"], env, tmp_path))
            await wait_healthy(processes[0])
            await logged(processes[1], r"mail worker \S+ started")
            yield Deployment(processes[0], processes[1], smtp, database_url, env, tmp_path, http)
    finally:
        for process in processes:
            stop(process)
        smtp.stop()


@pytest.mark.multiprocess
async def test_the_worker_sends_the_mail_of_a_server_that_sends_none(deployment: Deployment) -> None:
    serve, worker = deployment.serve, deployment.worker
    assert "mail: sent by `twofactor worker`" in serve.output()
    assert re.search(
        r"mail worker \(development\): database .*, mail: smtp://127\.0\.0\.1:\d+, events: redis://", worker.output()
    )
    worker_id = (await logged(worker, r"mail worker (\S+) started")).group(1)

    token = await deployment.login()
    with holding_mail(deployment.smtp.collector) as (gate, arrived):
        setup = await deployment.set_up_email(token)
        async with subscriber(serve, token) as socket:
            await socket.subscribe("v", VERIFICATION, {"id": setup["id"]})
            assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "PENDING"
            # The worker took the message (the server has no outbox worker to take it).
            assert await asyncio.to_thread(arrived.wait, WAIT)
            gate.set()
            # Published by the worker, pushed by the server: through Redis.
            assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "CODE_SENT"

            message = await deployment.mail()
            assert message.rcpt_tos == [EMAIL]
            code = re.search(r"\b(\d{6})\b", message.part("text/plain"))
            assert code is not None
            submit = {"id": setup["id"], "code": code.group(1)}
            done = (await deployment.gql(SUBMIT, submit, token))["myTwoFactor"]["submitCode"]
            assert done["error"] is None, done
            assert (await socket.data("v"))["myTwoFactorVerification"]["status"] == "VERIFIED"

    # The code's mail, then the notice of the new factor: both sent by the worker, none by the server.
    await logged(worker, r"outbox message \d+ \(\w+\): sent(.|\n)*outbox message \d+ \(\w+\): sent")
    rows = await deployment.outbox()
    assert [status for status, _ in rows] == ["SENT", "SENT"], rows
    assert {claimed for _, claimed in rows} == {worker_id}
    assert "outbox message" not in serve.output()
    assert len(deployment.smtp.received) == 2


@pytest.mark.multiprocess
async def test_sigterm_lets_the_send_under_way_finish_then_exits_0(deployment: Deployment) -> None:
    worker = deployment.worker
    token = await deployment.login()
    with holding_mail(deployment.smtp.collector) as (gate, arrived):
        await deployment.set_up_email(token)
        assert await asyncio.to_thread(arrived.wait, WAIT)  # the worker is sending it now
        worker.process.send_signal(signal.SIGTERM)
        await logged(worker, "stopping: finishing the sends under way")
        assert worker.process.poll() is None  # it waits for the send
        gate.set()
        assert await ended(worker) == 0, worker.output()
    assert "mail worker" in worker.output() and "stopped" in worker.output()
    assert [status for status, _ in await deployment.outbox()] == ["SENT"]
    assert len(deployment.smtp.received) == 1


@pytest.mark.multiprocess
async def test_sigterm_and_sigint_stop_an_idle_worker_with_exit_code_0(deployment: Deployment) -> None:
    deployment.worker.process.send_signal(signal.SIGTERM)
    assert await ended(deployment.worker) == 0, deployment.worker.output()
    assert re.search(r"mail worker \S+ stopped", deployment.worker.output())

    without_redis = {k: v for k, v in deployment.env.items() if k != "TWOFACTOR_REDIS_URL"}
    again = start("worker-2", ["worker"], without_redis, deployment.directory)
    try:
        await logged(again, r"mail worker \S+ started")
        # It runs, and says what an operator loses without Redis.
        assert "TWOFACTOR_REDIS_URL is not set: the delivery results" in again.output()
        again.process.send_signal(signal.SIGINT)
        assert await ended(again) == 0, again.output()
        assert "Traceback" not in again.output()
    finally:
        stop(again)


@pytest.mark.multiprocess
@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_worker_on_a_database_not_migrated_stops_unless_told_to_migrate(kind: str, tmp_path: Path) -> None:
    await check_services()
    async with fresh_database(kind, tmp_path) as database_url:
        env = environment(database_url, free_port(), tmp_path)
        refused = await asyncio.to_thread(
            subprocess.run, [str(TWOFACTOR), "worker"], env=env, cwd=tmp_path, capture_output=True, timeout=60
        )
        assert refused.returncode == 2, refused
        error = refused.stderr.decode()
        assert re.match(r"twofactor: the database lacks \d+ migration\(s\) \(0001_initial, ", error), error
        assert "run `twofactor migrate` first, or `twofactor worker --migrate`" in error

        worker = start("worker", ["worker", "--migrate"], env, tmp_path)
        try:
            await logged(worker, r"mail worker \S+ started")
            assert "(migrated first)" in worker.output()
            worker.process.send_signal(signal.SIGTERM)
            assert await ended(worker) == 0, worker.output()
        finally:
            stop(worker)
        # Migrated now: a plain worker starts.
        again = start("worker-again", ["worker"], env, tmp_path)
        try:
            await logged(again, r"mail worker \S+ started")
        finally:
            stop(again)


@pytest.mark.multiprocess
def test_bad_settings_stop_the_worker_naming_the_variable(tmp_path: Path) -> None:
    base = environment("sqlite://" + str(tmp_path / "db.sqlite"), free_port(), tmp_path)
    cases = {
        "TWOFACTOR_MAIL_URL": "ftp://mail.example.test",
        "TWOFACTOR_REDIS_URL": "http://redis.example.test",
        "TWOFACTOR_MAIL_WORKER": "sometimes",
    }
    for name, value in cases.items():
        result = subprocess.run(
            [str(TWOFACTOR), "worker"], env={**base, name: value}, cwd=tmp_path, capture_output=True, timeout=60
        )
        assert result.returncode == 2, (name, result)
        assert result.stderr.decode().startswith(f"twofactor: {name}"), (name, result.stderr)
    production = subprocess.run(
        [str(TWOFACTOR), "worker"],
        env={**base, "TWOFACTOR_ENV": "production", "TWOFACTOR_SECRET_KEY": ""},
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert production.returncode == 2
    assert "TWOFACTOR_SECRET_KEY is required in production" in production.stderr.decode()


async def test_a_server_that_leaves_mail_to_the_worker_wakes_it_through_redis(app: Harness, ada: str) -> None:
    """A worker that would not look again for an hour sends the mail at once: the server woke it."""
    services = app.app.state.services
    _, token = await signed_in(app, ada)
    prefix = f"test-worker-{uuid.uuid4().hex}:"
    server_broker, worker_broker = RedisBroker(REDIS_URL, prefix), RedisBroker(REDIS_URL, prefix)
    worker = CountedWorker(
        backend_for(app.settings.mail),
        services.keyring,
        app.settings.mail_from,
        on_result=lambda message: delivery_result(services, message),
        poll_interval=3600,
    )
    own_worker = services.outbox
    await own_worker.stop()  # the app's worker would send the mail itself
    redis = Redis.from_url(REDIS_URL)
    await server_broker.start()
    await worker_broker.start()
    wakes = asyncio.create_task(follow_wakes(worker_broker, worker))
    sender = MailWakeSender(server_broker)
    try:
        key = (prefix + MAIL_WAKE_CHANNEL).encode()
        async with asyncio.timeout(WAIT):
            while dict(await redis.pubsub_numsub(key)).get(key, 0) < 1:
                await asyncio.sleep(0.02)
        worker.start()
        async with asyncio.timeout(WAIT):
            assert await worker.passes.get() == 0  # its first pass is over: nothing was due
        # As in a server with TWOFACTOR_MAIL_WORKER=external: no outbox worker, a wake sender.
        services.outbox, services.mail_wake = None, sender

        setup = await app.gql(SET_UP_EMAIL, {"name": "Mail"}, token=token)
        assert setup["data"]["myTwoFactor"]["setUpEmail"]["error"] is None, setup

        async with asyncio.timeout(WAIT):
            assert await worker.passes.get() == 1
        assert [m.rcpt_tos for m in await app.mails_to(ada)] == [[ada]]
    finally:
        services.outbox, services.mail_wake = own_worker, None
        wakes.cancel()
        await asyncio.gather(wakes, return_exceptions=True)
        await worker.stop()
        await sender.stop()
        await server_broker.stop()
        await worker_broker.stop()
        await redis.aclose()
        own_worker.start()


def test_mail_worker_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWOFACTOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TWOFACTOR_MAIL_WORKER", raising=False)
    assert load_settings(env_file=None).serve_sends_mail
    monkeypatch.setenv("TWOFACTOR_MAIL_WORKER", " External ")
    external = load_settings(env_file=None)
    assert external.mail_worker == "external" and not external.serve_sends_mail
    line = startup_summary(external, "127.0.0.1", 8000, 1)
    assert "mail: sent by `twofactor worker`," in line and "console" not in line
    monkeypatch.setenv("TWOFACTOR_MAIL_WORKER", "false")
    with pytest.raises(SettingsError, match="TWOFACTOR_MAIL_WORKER: expected inside or external"):
        load_settings(env_file=None)


@pytest.mark.multiprocess
async def test_a_server_leaving_mail_to_the_worker_without_redis_warns(tmp_path: Path) -> None:
    env = environment(f"sqlite://{tmp_path / 'db.sqlite'}", free_port(), tmp_path)
    del env["TWOFACTOR_REDIS_URL"]
    env["TWOFACTOR_MAIL_WORKER"] = "external"  # the setting, not the flag
    port = free_port()
    serve = start("serve", ["serve", "--port", str(port)], env, tmp_path, port)
    try:
        await wait_healthy(serve)
        assert "mail: sent by `twofactor worker`, events: in-process" in serve.output()
        assert "TWOFACTOR_REDIS_URL is not set: the delivery results of `twofactor worker`" in serve.output()
    finally:
        stop(serve)
