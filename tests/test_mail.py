"""The mail room: messages, backends, the outbox and its worker, against a real SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage, MIMEPart
from typing import Any

import aiosmtplib
import pytest
from helpers import CountedWorker, Harness
from mail_support import SmtpServer, free_port
from test_query_counts import counting
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from twofactor.mail import messages, outbox
from twofactor.mail.backends import POOL_SIZE, ConsoleBackend, SmtpBackend, backend_for, describe_failure
from twofactor.mail.messages import Email, WireMessage, to_mime
from twofactor.mail.outbox import BATCH_SIZE, CLAIM_LEASE, MAX_RETRY, PARALLEL_SENDS, OutboxWorker, enqueue, retry_delay
from twofactor.mail.settings import MAX_MAIL_TIMEOUT, MailSettings
from twofactor.models.outbox import OutboxMessage, OutboxStatus
from twofactor.security.keyring import Keyring

KEYRING = Keyring(["mail-tests-secret-key-0123456789-abcdefghijklmnop"])
MAIL_FROM = "Help Center <no-reply@example.test>"
NON_ASCII_FROM = "Centre d\u2019aide Zo\u00eb <no-reply@example.test>"
CODE = "493817"
HOSTILE = "<script>alert(1)</script>"
NON_ASCII_NAME = "Cl\u00e9 de Zo\u00eb \U0001f511 <b>"


@pytest.fixture
async def db(app: Harness) -> AsyncIterator[None]:
    """The test database (SQLite, then PostgreSQL) with the app's own mail worker paused.

    The app's worker would otherwise claim these messages too, and fail to decrypt
    them: they are sealed with this module's keyring.
    """
    services = app.app.state.services
    running = services.outbox
    if running is not None:
        await running.stop()
    try:
        yield
    finally:
        await OutboxMessage.all().delete()
        if running is not None:
            running.start()


@pytest.fixture
def sink() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


class Results:
    """The on_result hook: keeps every message the worker settled."""

    def __init__(self) -> None:
        self.settled: list[OutboxMessage] = []
        self.event = asyncio.Event()

    async def __call__(self, message: OutboxMessage) -> None:
        self.settled.append(message)
        self.event.set()


def smtp_backend(port: int) -> SmtpBackend:
    return SmtpBackend(MailSettings(backend="smtp", host="127.0.0.1", port=port, timeout=5))


def worker(port: int, results: Results | None = None) -> OutboxWorker:
    return OutboxWorker(smtp_backend(port), KEYRING, MAIL_FROM, results or Results())


async def backoff_over(message_id: int) -> None:
    """Make a message that waits out its retry delay due now, as if the delay had passed."""
    await OutboxMessage.filter(id=message_id).update(next_attempt_at=datetime.now(UTC))


async def queue(email: Email | None = None, *, within: timedelta = timedelta(minutes=10)) -> int:
    email = email or messages.setup_code("ada@example.test", "Work mail", CODE, 10)
    return await enqueue(email, kind="setup_code", keyring=KEYRING, deliver_before=datetime.now(UTC) + within)


# Messages


BUILDERS: list[Callable[[str], Email]] = [
    lambda name: messages.setup_code("a@example.test", name, CODE, 10),
    lambda name: messages.authenticator_added("a@example.test", name, "Email"),
    lambda name: messages.authenticator_removed("a@example.test", name, "Authenticator app"),
]


@pytest.mark.parametrize("build", BUILDERS)
def test_user_supplied_names_are_escaped_in_html(build: Callable[[str], Email]) -> None:
    email = build(HOSTILE)
    assert HOSTILE in email.text
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html


ALL_KINDS: list[Email] = [
    messages.setup_code("a@example.test", "Work", CODE, 10),
    messages.login_code("a@example.test", CODE, 10, "sign-in"),
    messages.login_code("a@example.test", CODE, 1, "confirmation"),
    messages.authenticator_added("a@example.test", "Work", "Email"),
    messages.authenticator_removed("a@example.test", "Work", "Email"),
    messages.recovery_codes_used("a@example.test", 0),
    messages.recovery_codes_used("a@example.test", 7),
    messages.recovery_codes_regenerated("a@example.test"),
    messages.two_factor_reset("a@example.test"),
]


@pytest.mark.parametrize("email", ALL_KINDS, ids=lambda e: e.subject)
def test_every_kind_has_text_and_html_and_no_code_in_subject(email: Email) -> None:
    assert email.text.strip() and email.html.startswith("<!doctype html>")
    # Subjects are stored in clear in the outbox.
    assert CODE not in email.subject


def test_code_mails_carry_the_code_and_its_lifetime() -> None:
    email = messages.login_code("a@example.test", CODE, 10, "sign-in")
    assert CODE in email.text and CODE in email.html
    assert "10 minutes" in email.text
    assert "1 minute " in messages.login_code("a@example.test", CODE, 1, "confirmation").text


def test_unknown_code_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="purpose"):
        messages.login_code("a@example.test", CODE, 10, "reset")


def parse(message: WireMessage) -> EmailMessage:
    return message_from_bytes(message.data, policy=policy.default)


def decoded(part: MIMEPart) -> str:
    text: str = part.get_content()
    # Lines end in CRLF on the wire, in LF in the templates.
    return text.replace("\r\n", "\n")


ON_THE_WIRE: list[Email] = [
    *ALL_KINDS,
    *(build(NON_ASCII_NAME) for build in BUILDERS),
    *(build(HOSTILE) for build in BUILDERS),
    # What a boundary looks like, and what quoted-printable must escape.
    Email("a@example.test", "Boundaries", "--=_0123\n--=_0123--\n=?utf-8?q?x?= \t\n.\n", "<p>a=b</p>\r\nx"),
    Email("a@example.test", "Votre code \u2014 tr\u00e8s important, \u00e0 ne pas partager " * 3, "t\n", "h\n"),
]


def test_mime_is_multipart_alternative_text_then_html() -> None:
    mime = parse(to_mime(messages.two_factor_reset("a@example.test"), MAIL_FROM))
    assert mime.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in mime.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert mime["From"] == MAIL_FROM and mime["Message-ID"].endswith("@example.test>")
    assert mime["Auto-Submitted"] == "auto-generated" and mime["MIME-Version"] == "1.0"
    assert abs(mime["Date"].datetime - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize("mail_from", [MAIL_FROM, NON_ASCII_FROM])
@pytest.mark.parametrize("email", ON_THE_WIRE)
def test_the_wire_form_parses_back_to_what_the_templates_wrote(email: Email, mail_from: str) -> None:
    wire = to_mime(email, mail_from)

    parsed = parse(wire)
    assert (parsed["Subject"], parsed["From"], parsed["To"]) == (email.subject, mail_from, email.to)
    text, html = parsed.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert (decoded(text), decoded(html)) == (email.text, email.html.replace("\r\n", "\n"))
    assert (wire.sender, wire.recipient, wire.smtputf8) == ("no-reply@example.test", email.to, False)


@pytest.mark.parametrize("email", ON_THE_WIRE)
def test_the_wire_form_is_7bit_crlf_lines_under_998_octets(email: Email) -> None:
    data = to_mime(email, NON_ASCII_FROM).data
    assert data.isascii() and data.endswith(b"\r\n")
    lines = data.split(b"\r\n")
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    assert max(len(line) for line in lines) < 998
    headers = lines[: lines.index(b"")]
    assert max(len(line) for line in headers) <= 78


@pytest.mark.parametrize("email", ON_THE_WIRE)
def test_the_boundary_occurs_only_as_the_delimiters(email: Email) -> None:
    wire = to_mime(email, MAIL_FROM)
    boundary = parse(wire).get_boundary()
    assert boundary and boundary not in email.text and boundary not in email.html
    # In the Content-Type header, before each part and at the close: nowhere in a body.
    assert wire.data.count(boundary.encode()) == 4
    assert wire.data.count(b"\r\n--" + boundary.encode()) == 3


def test_each_message_gets_its_own_boundary_and_id() -> None:
    first, second = (parse(to_mime(messages.two_factor_reset("a@example.test"), MAIL_FROM)) for _ in range(2))
    assert first.get_boundary() != second.get_boundary()
    assert first["Message-ID"] != second["Message-ID"]


INJECTIONS = ["\r\nBcc: eve@example.test", "\nBcc: eve@example.test", "\rBcc: eve@example.test", "\n", "\u00e9\r\nX: y"]


@pytest.mark.parametrize("header", ["to", "subject"])
@pytest.mark.parametrize("injection", INJECTIONS)
def test_mime_refuses_header_injection(header: str, injection: str) -> None:
    email = messages.two_factor_reset("a@example.test")
    email = dataclasses.replace(email, **{header: getattr(email, header) + injection})
    with pytest.raises(ValueError):
        to_mime(email, MAIL_FROM)


@pytest.mark.parametrize("injection", INJECTIONS)
def test_mime_refuses_a_from_setting_with_a_line_break(injection: str) -> None:
    with pytest.raises(ValueError):
        to_mime(messages.two_factor_reset("a@example.test"), MAIL_FROM + injection)


def test_the_wire_form_has_no_code_in_its_repr() -> None:
    email = messages.login_code("a@example.test", CODE, 10, "sign-in")
    assert CODE not in repr(email) and CODE not in repr(to_mime(email, MAIL_FROM))


def test_a_non_ascii_address_goes_through_the_email_package_and_needs_smtputf8() -> None:
    email = messages.setup_code("zo\u00eb@exa\u0301mple.test", NON_ASCII_NAME, CODE, 10)

    wire = to_mime(email, NON_ASCII_FROM)

    assert wire.smtputf8 and wire.recipient == email.to and wire.sender == "no-reply@example.test"
    parsed = parse(wire)
    assert (parsed["Subject"], parsed["From"], parsed["To"]) == (email.subject, NON_ASCII_FROM, email.to)
    text, html = parsed.iter_parts()
    assert (decoded(text), decoded(html)) == (email.text, email.html)


def test_a_recipient_that_is_not_one_address_is_refused() -> None:
    with pytest.raises(ValueError):
        to_mime(messages.two_factor_reset("eve,a@example.test"), MAIL_FROM)


@pytest.mark.parametrize("mail_from", [MAIL_FROM, NON_ASCII_FROM])
async def test_a_message_received_over_smtp_decodes_to_the_same_parts(sink: SmtpServer, mail_from: str) -> None:
    email = messages.setup_code("ada@example.test", NON_ASCII_NAME, CODE, 10)
    backend = smtp_backend(sink.port)
    try:
        await backend.send(to_mime(email, mail_from))
    finally:
        await backend.aclose()

    (received,) = sink.received
    assert received.mail_from == "no-reply@example.test" and received.rcpt_tos == ["ada@example.test"]
    message = received.message
    assert (message["Subject"], message["From"], message["To"]) == (email.subject, mail_from, email.to)
    assert (received.part("text/plain"), received.part("text/html")) == (email.text, email.html)


async def test_a_non_ascii_address_is_sent_with_smtputf8_where_the_server_takes_it() -> None:
    email = messages.setup_code("zo\u00eb@example.test", NON_ASCII_NAME, CODE, 10)
    plain, utf8 = SmtpServer(), SmtpServer(smtputf8=True)
    plain.start()
    utf8.start()
    try:
        with pytest.raises(aiosmtplib.SMTPNotSupported):
            await smtp_backend(plain.port).send(to_mime(email, MAIL_FROM))
        backend = smtp_backend(utf8.port)
        await backend.send(to_mime(email, MAIL_FROM))
        await backend.aclose()
    finally:
        plain.stop()
        utf8.stop()

    assert plain.received == []
    (received,) = utf8.received
    assert received.rcpt_tos == [email.to] and received.message["To"] == email.to
    assert (received.part("text/plain"), received.part("text/html")) == (email.text, email.html)


# Backends


async def test_console_backend_prints_the_whole_message() -> None:
    stream = io.StringIO()
    email = messages.login_code("a@example.test", CODE, 10, "sign-in")
    await ConsoleBackend(stream).send(to_mime(email, MAIL_FROM))
    printed = stream.getvalue()
    assert email.subject in printed and CODE in printed and "text/html" in printed


async def test_console_backend_prints_decoded_headers_and_parts() -> None:
    stream = io.StringIO()
    email = messages.setup_code("a@example.test", NON_ASCII_NAME, CODE, 10)
    await ConsoleBackend(stream).send(to_mime(email, NON_ASCII_FROM))
    printed = stream.getvalue()
    assert f"From: {NON_ASCII_FROM}" in printed and "\r" not in printed
    assert email.text.rstrip() in printed and email.html.rstrip() in printed


def test_backend_for_settings() -> None:
    assert isinstance(backend_for(MailSettings(backend="console")), ConsoleBackend)
    smtp = MailSettings(backend="smtp", host="mail.example.test", port=587, password="hunter2")
    assert isinstance(backend_for(smtp), SmtpBackend)
    assert "hunter2" not in repr(backend_for(smtp))
    with pytest.raises(ValueError):
        backend_for(MailSettings(backend="carrier-pigeon"))


def test_failure_descriptions_keep_only_safe_detail() -> None:
    assert describe_failure(RuntimeError(f"body with {CODE}")) == "RuntimeError"
    assert describe_failure(ConnectionRefusedError(111, "refused")).startswith("ConnectionRefusedError: ")


def test_retry_delay_doubles_up_to_the_cap() -> None:
    delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert retry_delay(1000) == MAX_RETRY


# Outbox


async def raw_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await Tortoise.get_connection("default").execute_query_dict("SELECT * FROM outbox")
    return rows


async def test_enqueue_stores_the_body_encrypted(db: None) -> None:
    message_id = await queue()
    (row,) = await raw_rows()
    assert row["id"] == message_id
    assert all(CODE not in str(value) for value in row.values())
    assert row["recipient"] == "ada@example.test"
    assert row["subject"] == "Confirm your new email authenticator"
    assert row["status"] == "PENDING" and row["attempts"] == 0
    assert CODE in KEYRING.decrypt(row["body_encrypted"], "outbox:setup_code")


async def test_enqueue_commits_or_rolls_back_with_the_callers_transaction(db: None) -> None:
    email = messages.setup_code("ada@example.test", "Work mail", CODE, 10)
    deadline = datetime.now(UTC) + timedelta(minutes=10)
    with pytest.raises(RuntimeError):
        async with in_transaction() as connection:
            await enqueue(
                email, kind="setup_code", keyring=KEYRING, deliver_before=deadline,
                connection=connection,
            )  # fmt: skip
            raise RuntimeError("the code could not be stored")
    assert await raw_rows() == []


async def test_worker_delivers_over_smtp(db: None, sink: SmtpServer) -> None:
    results = Results()
    await queue(messages.setup_code("ada@example.test", HOSTILE, CODE, 10))

    assert await worker(sink.port, results).run_once() == 1

    (received,) = sink.received
    assert received.rcpt_tos == ["ada@example.test"]
    assert CODE in received.part("text/plain") and HOSTILE in received.part("text/plain")
    html = received.part("text/html")
    assert CODE in html and "<script>" not in html and "&lt;script&gt;" in html
    (settled,) = results.settled
    assert settled.status == OutboxStatus.SENT and settled.sent_at is not None
    assert settled.attempts == 1 and settled.last_error is None


async def test_retries_while_the_server_is_down_then_delivers_once(db: None) -> None:
    port = free_port()  # nothing listens there yet
    results = Results()
    mailer = worker(port, results)
    message_id = await queue()

    assert await mailer.run_once() == 1
    row = await OutboxMessage.get(id=message_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at > datetime.now(UTC)
    assert row.last_error is not None and row.last_error.startswith("SMTPConnectError")
    assert row.claimed_by is None and results.settled == []
    assert await mailer.run_once() == 0  # backing off: not due yet

    server = SmtpServer(port)
    server.start()
    try:
        await backoff_over(message_id)
        assert await mailer.run_once() == 1
        assert await mailer.run_once() == 0
        assert len(server.received) == 1
    finally:
        server.stop()
    row = await OutboxMessage.get(id=message_id)
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    assert [m.id for m in results.settled] == [message_id]


async def test_gives_up_once_the_next_attempt_would_be_too_late(db: None) -> None:
    results = Results()
    message_id = await queue(within=timedelta(milliseconds=500))

    assert await worker(free_port(), results).run_once() == 1

    (settled,) = results.settled
    assert settled.id == message_id and settled.status == OutboxStatus.FAILED
    assert settled.attempts == 1 and settled.sent_at is None
    assert settled.last_error is not None and settled.last_error.startswith("SMTPConnectError")
    assert CODE not in settled.last_error


async def test_a_message_past_its_deadline_is_not_sent(db: None, sink: SmtpServer) -> None:
    results = Results()
    await queue(within=timedelta(seconds=-1))

    assert await worker(sink.port, results).run_once() == 1

    assert sink.received == []
    (settled,) = results.settled
    assert settled.status == OutboxStatus.FAILED and settled.attempts == 0
    assert settled.last_error is not None and settled.last_error.startswith("DeadlinePassed")


async def test_a_body_that_cannot_be_decrypted_fails_at_once(db: None, sink: SmtpServer) -> None:
    results = Results()
    await queue()
    other_keys = Keyring(["another-deployment-key-0123456789-abcdefghijklmnop"])
    mailer = OutboxWorker(smtp_backend(sink.port), other_keys, MAIL_FROM, results)

    assert await mailer.run_once() == 1

    assert sink.received == []
    (settled,) = results.settled
    assert settled.status == OutboxStatus.FAILED and settled.last_error == "DecryptionError"


async def test_two_workers_send_each_message_exactly_once(db: None, sink: SmtpServer) -> None:
    for n in range(20):
        await queue(messages.setup_code(f"user{n}@example.test", "Work", CODE, 10))
    first, second = worker(sink.port), worker(sink.port)

    handled = await asyncio.gather(first.run_once(), second.run_once())

    assert sum(handled) == 20
    recipients = sorted(r for received in sink.received for r in received.rcpt_tos)
    assert recipients == sorted(f"user{n}@example.test" for n in range(20))
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 20


async def test_a_live_claim_is_respected_and_an_expired_one_taken_over(db: None, sink: SmtpServer) -> None:
    message_id = await queue()
    now = datetime.now(UTC)
    claim = OutboxMessage.filter(id=message_id)
    await claim.update(claimed_by="elsewhere:1:dead", claimed_until=now + timedelta(seconds=60))
    mailer = worker(sink.port)

    assert await mailer.run_once() == 0

    # The other worker died mid-send: once its lease ends the message is sent again.
    await claim.update(claimed_until=now - timedelta(seconds=1))
    assert await mailer.run_once() == 1
    assert len(sink.received) == 1
    row = await OutboxMessage.get(id=message_id)
    assert row.status == OutboxStatus.SENT and row.claimed_by == mailer.worker_id


async def test_background_worker_sends_at_once_when_woken(db: None) -> None:
    stream = io.StringIO()
    results = Results()
    ticks = 0

    async def on_tick() -> None:
        nonlocal ticks
        ticks += 1

    # A long poll: only wake() can explain a prompt delivery.
    mailer = CountedWorker(ConsoleBackend(stream), KEYRING, MAIL_FROM, results, on_tick, poll_interval=30)
    mailer.start()
    try:
        async with asyncio.timeout(5):
            assert await mailer.passes.get() == 0  # the first pass found nothing: the worker waits
        await queue()
        mailer.wake()
        async with asyncio.timeout(5):
            await results.event.wait()
    finally:
        await mailer.stop()

    (settled,) = results.settled
    assert settled.status == OutboxStatus.SENT
    assert "Confirm your new email authenticator" in stream.getvalue()
    assert CODE in stream.getvalue()
    # on_tick keeps to the poll interval: the wake() sent the message without one.
    assert ticks == 1


async def test_a_failing_on_result_hook_does_not_stop_delivery(
    db: None, sink: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(message: OutboxMessage) -> None:
        raise RuntimeError("hook bug")

    for _ in range(2):
        await queue()
    mailer = OutboxWorker(smtp_backend(sink.port), KEYRING, MAIL_FROM, broken)

    assert await mailer.run_once() == 2

    assert len(sink.received) == 2
    assert "on_result failed" in caplog.text
    assert CODE not in caplog.text


# SMTP connections: reused, replaced, closed


async def until(condition: Callable[[], bool], timeout: float = 5) -> None:
    """Wait, bounded, for something the SMTP server's thread does."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def test_the_pool_has_room_for_every_parallel_send() -> None:
    assert POOL_SIZE >= PARALLEL_SENDS


async def test_messages_share_one_connection(db: None, sink: SmtpServer) -> None:
    mailer = worker(sink.port)
    try:
        for n in range(3):
            await queue(messages.setup_code(f"user{n}@example.test", "Work", CODE, 10))
            assert await mailer.run_once() == 1
        assert len(sink.received) == 3
        assert sink.connections == 1
    finally:
        await mailer.stop()


async def test_parallel_sends_open_connections_that_the_next_pass_reuses(db: None, sink: SmtpServer) -> None:
    mailer = worker(sink.port)
    try:
        for _ in range(2):
            for n in range(3):
                await queue(messages.setup_code(f"user{n}@example.test", "Work", CODE, 10))
            assert await mailer.run_once() == 3
        assert len(sink.received) == 6
        assert sink.connections == 3
    finally:
        await mailer.stop()


async def test_stop_closes_the_idle_connections(db: None, sink: SmtpServer) -> None:
    mailer = worker(sink.port)
    await queue()
    assert await mailer.run_once() == 1
    assert sink.open_connections == 1

    await mailer.stop()

    await until(lambda: sink.open_connections == 0)
    # A stopped worker may run again: it opens a new connection.
    await queue()
    assert await mailer.run_once() == 1
    assert sink.connections == 2
    await mailer.stop()


async def test_an_idle_connection_is_closed_after_its_timeout(sink: SmtpServer) -> None:
    backend = SmtpBackend(MailSettings(backend="smtp", host="127.0.0.1", port=sink.port, timeout=5), idle_timeout=0.05)
    await backend.send(to_mime(messages.two_factor_reset("ada@example.test"), MAIL_FROM))
    assert sink.open_connections == 1

    await until(lambda: sink.open_connections == 0)
    await backend.aclose()


async def test_no_more_than_the_pool_size_stay_open(sink: SmtpServer) -> None:
    backend = smtp_backend(sink.port)
    mime = to_mime(messages.two_factor_reset("ada@example.test"), MAIL_FROM)

    await asyncio.gather(*(backend.send(mime) for _ in range(POOL_SIZE + 2)))

    assert sink.connections == POOL_SIZE + 2
    await until(lambda: sink.open_connections == POOL_SIZE)
    await backend.aclose()
    await until(lambda: sink.open_connections == 0)


async def test_a_connection_the_server_closed_while_idle_is_replaced(db: None, sink: SmtpServer) -> None:
    backend = smtp_backend(sink.port)
    mailer = OutboxWorker(backend, KEYRING, MAIL_FROM, Results())
    try:
        await queue()
        assert await mailer.run_once() == 1
        ((idle, _),) = backend._idle
        sink.hang_up()
        # The client reads the server's goodbye: its idle connection knows it is closed.
        await until(lambda: not idle.is_connected)

        await queue()
        assert await mailer.run_once() == 1

        assert len(sink.received) == 2
        assert sink.connections == 2
        assert await OutboxMessage.filter(status=OutboxStatus.SENT, attempts=1).count() == 2
    finally:
        await mailer.stop()


async def test_a_send_the_server_cuts_off_on_a_reused_connection_is_retried_on_a_new_one(
    sink: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "twofactor.mail")
    backend = smtp_backend(sink.port)
    mime = to_mime(messages.two_factor_reset("ada@example.test"), MAIL_FROM)
    await backend.send(mime)
    # The server hangs up, and the client has not run since: its MAIL meets a closed socket.
    sink.hang_up()

    await backend.send(mime)

    assert len(sink.received) == 2
    assert sink.connections == 2
    assert "SMTP connection dropped while idle (SMTPServerDisconnected" in caplog.text
    await backend.aclose()


async def test_a_server_slow_at_every_step_is_given_up_on_once_the_message_deadline_passes(
    sink: SmtpServer,
) -> None:
    # Each reply comes within the timeout; the message as a whole does not.
    backend = SmtpBackend(MailSettings(backend="smtp", host="127.0.0.1", port=sink.port, timeout=0.5))
    mime = to_mime(messages.two_factor_reset("ada@example.test"), MAIL_FROM)
    accept_data, accept_rcpt = sink.collector.handle_DATA, sink.collector.handle_RCPT

    async def slow_rcpt(server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        await asyncio.sleep(0.3)  # in the server's own loop
        return await accept_rcpt(server, session, envelope, address, options)

    async def slow_data(server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.3)
        return await accept_data(server, session, envelope)

    sink.collector.handle_RCPT = slow_rcpt  # type: ignore[method-assign]
    sink.collector.handle_DATA = slow_data  # type: ignore[method-assign]
    clock = asyncio.get_running_loop()
    started = clock.time()
    with pytest.raises(TimeoutError):
        await backend.send(mime)
    assert clock.time() - started < 2
    # The connection in an unknown state is closed, never reused: the next message takes a new one.
    await until(lambda: sink.open_connections == 0)
    sink.collector.handle_RCPT, sink.collector.handle_DATA = accept_rcpt, accept_data  # type: ignore[method-assign]
    await backend.send(mime)
    assert sink.connections == 2
    assert [r.rcpt_tos for r in sink.received] == [["ada@example.test"]]
    await backend.aclose()


def test_a_claim_outlives_the_longest_send() -> None:
    # Else a send still under way when its claim lapses could be made again by another worker.
    assert CLAIM_LEASE.total_seconds() > MAX_MAIL_TIMEOUT


async def test_a_server_closing_a_reused_connection_with_421_gets_the_message_on_a_new_one(sink: SmtpServer) -> None:
    backend = smtp_backend(sink.port)
    mime = to_mime(messages.two_factor_reset("ada@example.test"), MAIL_FROM)
    await backend.send(mime)
    accept = sink.collector.handle_DATA
    closing = 0

    async def closing_once(server: Any, session: Any, envelope: Any) -> str:
        nonlocal closing
        if closing == 0:
            closing += 1
            return "421 4.3.2 Service shutting down"
        return await accept(server, session, envelope)

    sink.collector.handle_DATA = closing_once  # type: ignore[method-assign]

    await backend.send(mime)

    assert closing == 1 and len(sink.received) == 2
    assert sink.connections == 2
    await backend.aclose()


async def test_a_refused_message_is_not_retried_and_its_connection_not_reused(db: None, sink: SmtpServer) -> None:
    async def refuse(server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 Rejected by the test"

    mailer = worker(sink.port)
    try:
        await queue()
        assert await mailer.run_once() == 1
        sink.collector.handle_DATA = refuse  # type: ignore[method-assign]
        message_id = await queue()

        assert await mailer.run_once() == 1

        row = await OutboxMessage.get(id=message_id)
        assert row.status == OutboxStatus.PENDING and row.attempts == 1
        assert row.last_error is not None and row.last_error.startswith("SMTPDataError: the server replied 554")
        # Sent once (on the reused connection), then that connection was closed.
        await until(lambda: sink.open_connections == 0)
        assert sink.connections == 1
    finally:
        await mailer.stop()


async def test_a_server_gone_down_after_a_send_gives_the_usual_retry(db: None) -> None:
    server = SmtpServer()
    server.start()
    mailer = worker(server.port)
    try:
        await queue()
        assert await mailer.run_once() == 1
        server.stop()
        message_id = await queue()

        assert await mailer.run_once() == 1

        row = await OutboxMessage.get(id=message_id)
        assert row.status == OutboxStatus.PENDING and row.attempts == 1
        assert row.next_attempt_at > datetime.now(UTC)
        assert row.last_error is not None and row.last_error.startswith("SMTPConnectError")
    finally:
        await mailer.stop()


# Claims and settling


async def test_a_pass_claims_at_most_a_batch_oldest_first(db: None, sink: SmtpServer) -> None:
    ids = [await queue(messages.setup_code(f"user{n}@example.test", "Work", CODE, 10)) for n in range(BATCH_SIZE + 3)]
    results = Results()
    mailer = worker(sink.port, results)
    try:
        assert await mailer.run_once() == BATCH_SIZE
        assert sorted(m.id for m in results.settled) == ids[:BATCH_SIZE]
        assert await mailer.run_once() == 3
        assert await mailer.run_once() == 0
        assert len(sink.received) == BATCH_SIZE + 3
    finally:
        await mailer.stop()


async def test_on_result_gets_the_row_as_written(db: None, sink: SmtpServer) -> None:
    results = Results()
    mailer = worker(sink.port, results)
    try:
        await queue()
        await queue(within=timedelta(seconds=-1))
        assert await mailer.run_once() == 2
    finally:
        await mailer.stop()

    assert {m.status for m in results.settled} == {OutboxStatus.SENT, OutboxStatus.FAILED}
    for settled in results.settled:
        stored = await OutboxMessage.get(id=settled.id)
        columns = [f for f in OutboxMessage._meta.db_fields if f != "body_encrypted"]
        assert {f: getattr(settled, f) for f in columns} == {f: getattr(stored, f) for f in columns}
        assert settled.claimed_by == mailer.worker_id and settled.claimed_until is None


async def test_a_worker_whose_claim_was_taken_over_cannot_settle(db: None, sink: SmtpServer) -> None:
    class TakenOverDuringTheSend:
        """Sends, while another worker (after our lease lapsed) claims the message."""

        def __init__(self, message_id: int) -> None:
            self.message_id = message_id

        async def send(self, message: Any) -> None:
            await OutboxMessage.filter(id=self.message_id).update(
                claimed_by="elsewhere:1:beef", claimed_until=datetime.now(UTC) + timedelta(seconds=60)
            )

        async def aclose(self) -> None:
            pass

    message_id = await queue()
    results = Results()
    mailer = OutboxWorker(TakenOverDuringTheSend(message_id), KEYRING, MAIL_FROM, results)

    assert await mailer.run_once() == 1

    row = await OutboxMessage.get(id=message_id)
    assert row.status == OutboxStatus.PENDING and row.claimed_by == "elsewhere:1:beef"
    assert row.attempts == 0 and row.sent_at is None
    assert results.settled == []


@pytest.mark.parametrize("attempts_before", [0, 10], ids=["retry", "give-up"])
async def test_a_worker_whose_claim_was_taken_over_cannot_retry_or_give_up(
    db: None, sink: SmtpServer, attempts_before: int
) -> None:
    # A failed send whose claim lapsed meanwhile: the new holder's message is left as it is,
    # neither put back for a retry nor given up (10 attempts: the next delay passes the deadline).
    class TakenOverThenFailing:
        def __init__(self, message_id: int) -> None:
            self.message_id = message_id

        async def send(self, message: Any) -> None:
            await OutboxMessage.filter(id=self.message_id).update(
                claimed_by="elsewhere:1:beef", claimed_until=datetime.now(UTC) + timedelta(seconds=60)
            )
            raise ConnectionRefusedError("the mail server is down")

        async def aclose(self) -> None:
            pass

    message_id = await queue(within=timedelta(seconds=30))
    await OutboxMessage.filter(id=message_id).update(attempts=attempts_before)
    results = Results()
    mailer = OutboxWorker(TakenOverThenFailing(message_id), KEYRING, MAIL_FROM, results)

    assert await mailer.run_once() == 1

    row = await OutboxMessage.get(id=message_id)
    assert row.status == OutboxStatus.PENDING and row.claimed_by == "elsewhere:1:beef"
    assert row.attempts == attempts_before and row.last_error is None
    assert results.settled == []


class HeldSends:
    """Sends held until `release()`, so that they end together; the message `taken_id`
    is claimed by another worker meanwhile (its lease lapsed, say)."""

    def __init__(self, taken_id: int | None = None) -> None:
        self.gate = asyncio.Event()
        self.waiting = 0
        self.taken_id = taken_id

    async def send(self, message: Any) -> None:
        self.waiting += 1
        await self.gate.wait()

    async def release(self, count: int) -> None:
        async with asyncio.timeout(5):
            while self.waiting < count:
                await asyncio.sleep(0.001)
        if self.taken_id is not None:
            await OutboxMessage.filter(id=self.taken_id).update(
                claimed_by="elsewhere:1:cafe", claimed_until=datetime.now(UTC) + timedelta(seconds=60)
            )
        self.gate.set()

    async def aclose(self) -> None:
        pass


async def test_sends_that_end_together_are_marked_sent_by_one_statement(db: None) -> None:
    ids = [await queue() for _ in range(PARALLEL_SENDS)]
    backend = HeldSends(taken_id=ids[3])
    results = Results()
    mailer = OutboxWorker(backend, KEYRING, MAIL_FROM, results)
    with counting() as statements:
        passing = asyncio.create_task(mailer.run_once())
        await backend.release(PARALLEL_SENDS)
        assert await passing == PARALLEL_SENDS
    marking = [s for s in statements if s.startswith('UPDATE "outbox" SET "status"')]
    assert len(marking) == 1, marking
    # Each message settles by itself: the one another worker holds now is left to it.
    assert sorted(m.id for m in results.settled) == sorted(set(ids) - {ids[3]})
    for message_id in ids:
        row = await OutboxMessage.get(id=message_id)
        if message_id == ids[3]:
            assert row.status == OutboxStatus.PENDING and row.claimed_by == "elsewhere:1:cafe" and row.attempts == 0
        else:
            assert row.status == OutboxStatus.SENT and row.attempts == 1 and row.claimed_until is None


class StaggeredSends:
    """Sends that end one after another, each a moment after the one before; a send to
    `held` waits until `release()` instead."""

    def __init__(self, held: str | None = None) -> None:
        self.started = 0
        self.held = held
        self.gate = asyncio.Event()

    async def send(self, message: WireMessage) -> None:
        self.started += 1
        if message.recipient == self.held:
            await self.gate.wait()
            return
        await asyncio.sleep(0.002 * self.started)

    def release(self) -> None:
        self.gate.set()

    async def aclose(self) -> None:
        pass


async def test_a_round_of_parallel_sends_ending_one_by_one_is_marked_sent_by_one_statement(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the round (or the end of the sends under way) may trigger the marking here.
    monkeypatch.setattr(outbox, "MARK_GATHER", 60.0)
    ids = [await queue() for _ in range(PARALLEL_SENDS)]
    results = Results()
    mailer = OutboxWorker(StaggeredSends(), KEYRING, MAIL_FROM, results)
    with counting() as statements:
        async with asyncio.timeout(10):
            assert await mailer.run_once() == PARALLEL_SENDS
    marking = [s for s in statements if s.startswith('UPDATE "outbox" SET "status"')]
    assert len(marking) == 1, marking
    assert sorted(m.id for m in results.settled) == sorted(ids)
    assert await OutboxMessage.filter(id__in=ids, status=OutboxStatus.SENT, attempts=1).count() == len(ids)


async def test_a_message_sent_alone_is_marked_at_once(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "MARK_GATHER", 60.0)
    message_id = await queue()
    results = Results()
    mailer = OutboxWorker(StaggeredSends(), KEYRING, MAIL_FROM, results)
    async with asyncio.timeout(10):  # not MARK_GATHER: no other send was under way
        assert await mailer.run_once() == 1
    assert [m.id for m in results.settled] == [message_id]
    assert (await OutboxMessage.get(id=message_id)).status == OutboxStatus.SENT


async def test_a_slow_send_does_not_hold_up_the_marking_of_the_others(db: None) -> None:
    slow_address = "slow@example.test"
    slow = await queue(messages.setup_code(slow_address, "Work mail", CODE, 10))
    quick = await queue()
    backend = StaggeredSends(held=slow_address)
    results = Results()
    mailer = OutboxWorker(backend, KEYRING, MAIL_FROM, results)
    passing = asyncio.create_task(mailer.run_once())
    async with asyncio.timeout(10):  # MARK_GATHER, not the slow send
        await results.event.wait()
    assert [m.id for m in results.settled] == [quick]
    assert (await OutboxMessage.get(id=quick)).status == OutboxStatus.SENT
    assert (await OutboxMessage.get(id=slow)).status == OutboxStatus.PENDING
    backend.release()
    assert await passing == 2
    assert sorted(m.id for m in results.settled) == sorted([quick, slow])


# A mail server that accepts the connection and then hangs


@pytest.mark.parametrize("greets", [False, True], ids=["silent", "after-greeting"])
async def test_a_server_that_accepts_then_hangs_costs_a_retry_then_the_message_goes_once(
    db: None, greets: bool
) -> None:
    port = free_port()
    held: list[asyncio.StreamWriter] = []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # never answers (after its greeting, if it gives one)
        if greets:
            writer.write(b"220 hanging.example.test ESMTP\r\n")
            await writer.drain()

    hanging = await asyncio.start_server(hang, "127.0.0.1", port)
    backend = SmtpBackend(MailSettings(backend="smtp", host="127.0.0.1", port=port, timeout=0.5))
    mailer = OutboxWorker(backend, KEYRING, MAIL_FROM, Results())
    message_id = await queue()
    try:
        assert await mailer.run_once() == 1  # given up on at the send timeout, not stuck
        row = await OutboxMessage.get(id=message_id)
        assert (row.status, row.attempts, row.claimed_by) == (OutboxStatus.PENDING, 1, None)
        assert row.last_error is not None and "Timeout" in row.last_error
        assert held, "the server never saw the connection"
    finally:
        hanging.close()
        for writer in held:
            writer.close()
        await hanging.wait_closed()

    server = SmtpServer(port)
    server.start()
    try:
        await backoff_over(message_id)
        assert await mailer.run_once() == 1
        assert await mailer.run_once() == 0
        assert len(server.received) == 1
    finally:
        await mailer.stop()
        server.stop()
    row = await OutboxMessage.get(id=message_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


async def test_stop_lets_the_send_under_way_finish_and_releases_the_claims_not_started(
    db: None, sink: SmtpServer
) -> None:
    started = asyncio.Event()
    finish = asyncio.Event()
    accept = sink.collector.handle_DATA
    loop = asyncio.get_running_loop()

    async def held(server: Any, session: Any, envelope: Any) -> str:
        loop.call_soon_threadsafe(started.set)
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(finish.wait(), loop))
        return await accept(server, session, envelope)

    sink.collector.handle_DATA = held  # type: ignore[method-assign]
    mailer = OutboxWorker(smtp_backend(sink.port), KEYRING, MAIL_FROM, Results())
    first = await queue()
    ids = [first, *[await queue() for _ in range(PARALLEL_SENDS)]]  # one more than a round of sends
    mailer.start()
    mailer.wake()
    try:
        await asyncio.wait_for(started.wait(), 5)
        stopping = asyncio.create_task(mailer.stop())
        await asyncio.sleep(0)
        assert not stopping.done()  # it waits for the sends under way
        finish.set()
        await asyncio.wait_for(stopping, 10)
    finally:
        del sink.collector.handle_DATA
    rows = {row.id: row for row in await OutboxMessage.filter(id__in=ids)}
    sent = [i for i in ids if rows[i].status == OutboxStatus.SENT]
    waiting = [i for i in ids if rows[i].status == OutboxStatus.PENDING]
    # Those under way were sent and recorded; the one that had not started is free for the next worker.
    assert len(sent) == PARALLEL_SENDS and len(sink.received) == PARALLEL_SENDS
    assert len(waiting) == 1 and rows[waiting[0]].claimed_by is None and rows[waiting[0]].attempts == 0
