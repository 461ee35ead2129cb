"""Setting up Email authentication (issue #3): the code goes to the login address only,
through the outbox, with cooldown, hourly cap, expiry, attempt lock and delivery failure."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from helpers import (
    MY_TWO_FACTOR,
    SET_UP_EMAIL,
    SUBMIT,
    VERIFY_LOGIN,
    Harness,
    login,
    signed_in,
)
from mail_support import SmtpServer, free_port

from twofactor.mail.backends import SmtpBackend
from twofactor.mail.outbox import OutboxWorker
from twofactor.mail.settings import MailSettings
from twofactor.models import Authenticator, OutboxMessage, Setup, User
from twofactor.models.outbox import OutboxStatus
from twofactor.resolvers.setup_status import delivery_result
from twofactor.security.rules import RESEND_COOLDOWN, SEND_WINDOW, SENDS_PER_HOUR
from twofactor.server.context import now

HOSTILE = "<script>alert(1)</script>"


SETUP_STATUS = """
query($id: ID!) { myTwoFactor { setup(id: $id) { id status attemptsLeft } } }"""

RESEND = """
mutation($id: ID!) { myTwoFactor { resendCode(setupId: $id) {
  setup { id status resendAvailableAt expiresAt }
  error { code message field retryAfterSeconds }
} } }"""


def _setup_of(body: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["setUpEmail"]
    return payload


async def set_up_email(app: Harness, token: str, name: str = "Work mail") -> dict[str, Any]:
    payload = _setup_of(await app.gql(SET_UP_EMAIL, {"name": name}, token=token))
    assert payload["error"] is None, payload
    return payload


async def submit(app: Harness, token: str, setup_id: str, code: str) -> dict[str, Any]:
    body = await app.gql(SUBMIT, {"id": setup_id, "code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["submitCode"]
    return payload


async def resend(app: Harness, token: str, setup_id: str) -> dict[str, Any]:
    body = await app.gql(RESEND, {"id": setup_id}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["myTwoFactor"]["resendCode"]
    return payload


async def status_of(app: Harness, token: str, setup_id: str) -> str | None:
    body = await app.gql(SETUP_STATUS, {"id": setup_id}, token=token)
    assert "errors" not in body, body
    setup = body["data"]["myTwoFactor"]["setup"]
    return None if setup is None else str(setup["status"])


async def wait_for_status(app: Harness, token: str, setup_id: str, wanted: str, timeout: float = 10) -> None:
    """Poll `myTwoFactor { setup(id) { status } }` until it is `wanted` (bounded)."""
    seen: str | None = None
    try:
        async with asyncio.timeout(timeout):
            while (seen := await status_of(app, token, setup_id)) != wanted:
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"set-up status stayed {seen}, expected {wanted}") from None


async def cooldown_over(user_id: int) -> None:
    """Pretend the user's set-ups mailed their last code 31 s ago (the cooldown is 30 s) instead of sleeping."""
    await Setup.filter(user_id=user_id).update(resend_available_at=now() - timedelta(seconds=1))


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def code_mails(setup_id: str) -> int:
    return await OutboxMessage.filter(kind="setup_code", setup_id=setup_id).count()


# The happy path


async def test_email_setup_mails_the_login_address_and_creates_the_authenticator(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    started = await set_up_email(app, token, "Work mail")
    setup = started["setup"]
    assert setup["method"] == "EMAIL"
    assert setup["status"] == "PENDING"
    assert setup["name"] == "Work mail"
    assert setup["email"] == ada
    assert setup["app"] is None
    assert setup["attemptsLeft"] == 5
    # Queued through the outbox, tied to this set-up.
    assert await code_mails(setup["id"]) == 1

    await wait_for_status(app, token, setup["id"], "CODE_SENT")
    code = await app.mailed_code(ada)
    # Only the login address got mail.
    assert {m.recipient for m in await OutboxMessage.all()} == {ada}

    result = await submit(app, token, setup["id"], code)
    assert result["error"] is None, result
    authenticator = result["authenticator"]
    assert authenticator["method"] == "EMAIL"
    assert authenticator["name"] == "Work mail"
    assert authenticator["email"] == ada
    assert result["message"] == "Two-factor authentication is set up."
    assert len(result["recoveryCodes"]) == 10
    assert result["setup"]["status"] == "VERIFIED"

    mine = (await app.gql(MY_TWO_FACTOR, token=token))["data"]["myTwoFactor"]
    assert mine["enabled"] is True
    assert [(a["name"], a["method"], a["email"]) for a in mine["authenticators"]] == [("Work mail", "EMAIL", ada)]
    row = await Authenticator.get(user_id=user.id)
    assert row.secret_encrypted is None

    # The code works once: the set-up has ended.
    again = await submit(app, token, setup["id"], code)
    assert again["authenticator"] is None
    assert again["error"]["code"] == "NOT_FOUND"


async def test_the_api_cannot_mail_another_address(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    body = await app.gql(
        'mutation { myTwoFactor { setUpEmail(name: "x", email: "mallory@evil.test") { setup { id } } } }',
        token=token,
    )
    assert body.get("data") is None
    assert body["errors"]
    assert await OutboxMessage.all().count() == 0
    assert await Setup.all().count() == 0


async def test_code_is_encrypted_in_the_outbox_and_the_name_escaped_in_html(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token, HOSTILE))["setup"]
    assert setup["name"] == HOSTILE
    await wait_for_status(app, token, setup["id"], "CODE_SENT")
    code = await app.mailed_code(ada)

    row = await OutboxMessage.get(setup_id=setup["id"])
    assert row.status == OutboxStatus.SENT
    assert code not in row.body_encrypted
    assert code not in row.subject
    assert HOSTILE not in row.body_encrypted
    # The set-up stores only a digest of the code.
    stored = await Setup.get(id=setup["id"])
    assert stored.code_digest and code not in stored.code_digest

    message = (await app.mails_to(ada))[0]
    text, html = message.part("text/plain"), message.part("text/html")
    assert code in text
    assert HOSTILE in text
    assert code in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html

    # The "added" notice escapes it too.
    result = await submit(app, token, setup["id"], code)
    assert result["error"] is None, result
    assert result["authenticator"]["name"] == HOSTILE
    notice = (await app.mails_to(ada, 2))[1]
    assert "added" in notice.message["Subject"]
    assert "&lt;script&gt;" in notice.part("text/html")
    assert "<script>" not in notice.part("text/html")


# Resend: cooldown, replacement, hourly cap


async def test_resend_within_cooldown_is_rate_limited_and_queues_nothing(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    assert setup["resendAvailableAt"] is not None

    refused = await resend(app, token, setup["id"])
    assert refused["setup"] is None
    assert refused["error"]["code"] == "RATE_LIMITED"
    assert 1 <= refused["error"]["retryAfterSeconds"] <= 30
    assert await OutboxMessage.all().count() == 1
    # The cooldown is the set-up's own: a new set-up's first code goes out at once.
    other = _setup_of(await app.gql(SET_UP_EMAIL, {"name": "Other"}, token=token))
    assert other["error"] is None, other
    assert await Setup.all().count() == 2
    assert await OutboxMessage.all().count() == 2
    # ... and has a cooldown of its own.
    assert (await resend(app, token, other["setup"]["id"]))["error"]["code"] == "RATE_LIMITED"


async def test_resend_after_cooldown_replaces_the_code(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    old = await app.mailed_code(ada)

    await cooldown_over(user.id)
    again = await resend(app, token, setup["id"])
    assert again["error"] is None, again
    assert again["setup"]["status"] in ("PENDING", "CODE_SENT")
    assert await code_mails(setup["id"]) == 2
    new = await app.mailed_code(ada, 2)
    await wait_for_status(app, token, setup["id"], "CODE_SENT")

    if new != old:  # one chance in a million that the two codes are equal
        refused = await submit(app, token, setup["id"], old)
        assert refused["authenticator"] is None
        assert refused["error"]["code"] == "INVALID_CODE"
        assert refused["error"]["attemptsLeft"] == 4
    result = await submit(app, token, setup["id"], new)
    assert result["error"] is None, result
    assert result["authenticator"]["name"] == "Work mail"
    # Once only.
    replay = await submit(app, token, setup["id"], new)
    assert replay["authenticator"] is None and replay["error"] is not None
    assert await Authenticator.filter(user_id=user.id).count() == 1


async def test_parallel_resends_after_the_cooldown_send_one_code(app: Harness, ada: str) -> None:
    # The resolver's cooldown check reads the set-up before any of them writes: the guarded
    # update in `resend_setup_code` lets one through, and the others give their mail back.
    user, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    await cooldown_over(user.id)
    payloads = await asyncio.gather(*(resend(app, token, setup["id"]) for _ in range(4)))
    assert [p["error"] is None for p in payloads].count(True) == 1, payloads
    assert {p["error"]["code"] for p in payloads if p["error"] is not None} == {"RATE_LIMITED"}
    assert await code_mails(setup["id"]) == 2
    assert (await User.get(id=user.id)).sends_in_window == 2


async def test_sixth_code_mail_in_an_hour_is_rate_limited(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    for _ in range(SENDS_PER_HOUR - 1):
        await cooldown_over(user.id)
        sent = await resend(app, token, setup["id"])
        assert sent["error"] is None, sent
    assert await code_mails(setup["id"]) == SENDS_PER_HOUR

    await cooldown_over(user.id)
    refused = await resend(app, token, setup["id"])
    assert refused["error"]["code"] == "RATE_LIMITED"
    # The hour started with the first send, moments ago.
    assert RESEND_COOLDOWN.total_seconds() < refused["error"]["retryAfterSeconds"] <= SEND_WINDOW.total_seconds()
    other = _setup_of(await app.gql(SET_UP_EMAIL, {"name": "Other"}, token=token))
    assert other["error"]["code"] == "RATE_LIMITED"
    assert await OutboxMessage.all().count() == SENDS_PER_HOUR
    assert await Setup.all().count() == 1
    # The sends were allowed; a resend withdraws a code not mailed yet, so at most that many arrive.
    assert 1 <= len(await app.mails_to(ada, 1)) <= SENDS_PER_HOUR


# Expiry and wrong codes


async def test_expired_code_is_refused_and_the_setup_expires(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    code = await app.mailed_code(ada)
    await Setup.filter(id=setup["id"]).update(expires_at=now() - timedelta(seconds=1))

    refused = await submit(app, token, setup["id"], code)
    assert refused["authenticator"] is None
    assert refused["error"]["code"] == "CODE_EXPIRED"
    assert (await Setup.get(id=setup["id"])).status == "EXPIRED"
    # No longer in progress: `myTwoFactor.setup` shows only open set-ups.
    assert await status_of(app, token, setup["id"]) is None
    assert await Authenticator.filter(user_id=user.id).count() == 0
    # A resend cannot revive it.
    await cooldown_over(user.id)
    assert (await resend(app, token, setup["id"]))["error"]["code"] == "CODE_EXPIRED"


async def test_five_wrong_codes_lock_the_setup(app: Harness, ada: str) -> None:
    user, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    code = await app.mailed_code(ada)
    wrong = other_code(code)

    for left in (4, 3, 2, 1):
        refused = await submit(app, token, setup["id"], wrong)
        assert refused["error"]["code"] == "INVALID_CODE"
        assert refused["error"]["attemptsLeft"] == left
    locked = await submit(app, token, setup["id"], wrong)
    assert locked["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert locked["error"]["attemptsLeft"] == 0

    right = await submit(app, token, setup["id"], code)
    assert right["authenticator"] is None
    assert right["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert (await Setup.get(id=setup["id"])).status == "LOCKED"
    assert await status_of(app, token, setup["id"]) is None
    assert await Authenticator.filter(user_id=user.id).count() == 0


async def test_setup_code_cannot_sign_in(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    code = await app.mailed_code(ada)
    result = await submit(app, token, setup["id"], code)
    assert result["error"] is None, result
    authenticator_id = result["authenticator"]["id"]

    challenge = await login(app, ada)
    assert challenge["session"]["nextStep"] == "TWO_FACTOR_CHALLENGE"
    body = await app.gql(VERIFY_LOGIN, {"id": authenticator_id, "code": code}, token=challenge["token"])
    verified = body["data"]["verifyLogin"]
    assert verified["session"] is None
    assert verified["error"]["code"] == "INVALID_CODE"
    # Still at the challenge: the session may not read the 2FA page.
    denied = await app.gql(MY_TWO_FACTOR, token=challenge["token"])
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# Delivery: the mail server is down


def _worker(app: Harness, port: int) -> OutboxWorker:
    """A worker like the app's, sending to `port`, that reports to the app's set-ups."""
    services = app.app.state.services
    backend = SmtpBackend(MailSettings(backend="smtp", host="127.0.0.1", port=port, timeout=5))
    return OutboxWorker(
        backend,
        services.keyring,
        app.settings.mail_from,
        on_result=lambda message: delivery_result(services, message),
    )


async def nothing_more_to_send(app: Harness, address: str) -> None:
    """Every message to `address` is settled (none PENDING, so none being sent), and a pass of
    a worker like the app's then finds nothing due: no more mail to `address` can come."""
    async with asyncio.timeout(10):
        while await OutboxMessage.filter(recipient=address, status=OutboxStatus.PENDING).exists():
            await asyncio.sleep(0.02)
    worker = _worker(app, app.smtp.port)
    try:
        assert await worker.run_once() == 0
    finally:
        await worker.stop()


async def _first_attempt_failed(app: Harness, token: str, down: OutboxWorker, setup_id: str) -> OutboxMessage:
    assert await down.run_once() == 1
    row = await OutboxMessage.get(setup_id=setup_id)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.last_error
    # The code is valid for minutes more: not a failure yet, only a delay.
    assert await status_of(app, token, setup_id) == "PENDING"
    return row


async def test_mail_server_down_then_back_delivers_once(app: Harness, ada: str) -> None:
    services = app.app.state.services
    port = free_port()
    down = _worker(app, port)
    await services.outbox.stop()
    server: SmtpServer | None = None
    try:
        _, token = await signed_in(app, ada)
        setup = (await set_up_email(app, token))["setup"]
        await _first_attempt_failed(app, token, down, setup["id"])
        # Not due until its backoff ends.
        assert await down.run_once() == 0

        server = SmtpServer(port=port)
        server.start()
        await OutboxMessage.filter(setup_id=setup["id"]).update(next_attempt_at=now())
        assert await down.run_once() == 1
        assert await down.run_once() == 0
        row = await OutboxMessage.get(setup_id=setup["id"])
        assert row.status == OutboxStatus.SENT and row.attempts == 2
        assert await status_of(app, token, setup["id"]) == "CODE_SENT"
        assert len(server.received) == 1
        assert server.received[0].rcpt_tos == [ada]
        code = next(w for w in server.received[0].part("text/plain").split() if w.isdigit() and len(w) == 6)
        result = await submit(app, token, setup["id"], code)
        assert result["error"] is None, result
    finally:
        services.outbox.start()
        if server is not None:
            server.stop()
    # The app's own worker, back at work, sends the notice but not the code again.
    notices = await app.mails_to(ada)
    await nothing_more_to_send(app, ada)
    assert [m.message["Subject"] for m in app.smtp.received if ada in m.rcpt_tos] == [notices[0].message["Subject"]]
    assert "added" in notices[0].message["Subject"]


async def test_mail_server_down_until_the_deadline_fails_delivery(app: Harness, ada: str) -> None:
    services = app.app.state.services
    down = _worker(app, free_port())
    await services.outbox.stop()
    try:
        user, token = await signed_in(app, ada)
        setup = (await set_up_email(app, token))["setup"]
        await _first_attempt_failed(app, token, down, setup["id"])

        # The code's delivery deadline passes while the server is still down.
        await OutboxMessage.filter(setup_id=setup["id"]).update(
            deliver_before=now() - timedelta(seconds=1), next_attempt_at=now()
        )
        assert await down.run_once() == 1
        row = await OutboxMessage.get(setup_id=setup["id"])
        assert row.status == OutboxStatus.FAILED
        assert await status_of(app, token, setup["id"]) == "DELIVERY_FAILED"
    finally:
        services.outbox.start()
    # A failed message is not sent later by the app's worker: no pass claims it (a claim would
    # show on the row, whichever worker made it).
    await nothing_more_to_send(app, ada)
    after = await OutboxMessage.get(id=row.id)
    assert (after.status, after.attempts, after.claimed_by) == (OutboxStatus.FAILED, row.attempts, row.claimed_by)
    assert [m for m in app.smtp.received if ada in m.rcpt_tos] == []

    # DELIVERY_FAILED: resend is possible, and its mail goes out.
    await cooldown_over(user.id)
    again = await resend(app, token, setup["id"])
    assert again["error"] is None, again
    await wait_for_status(app, token, setup["id"], "CODE_SENT")
    code = await app.mailed_code(ada)
    result = await submit(app, token, setup["id"], code)
    assert result["error"] is None, result


async def test_delivery_result_only_moves_open_setups(app: Harness, ada: str) -> None:
    _, token = await signed_in(app, ada)
    setup = (await set_up_email(app, token))["setup"]
    code = await app.mailed_code(ada)
    assert (await submit(app, token, setup["id"], code))["error"] is None
    # A late failure report for a verified set-up changes nothing.
    row = await OutboxMessage.get(setup_id=setup["id"])
    row.status = OutboxStatus.FAILED
    await delivery_result(app.app.state.services, row)
    assert (await Setup.get(id=setup["id"])).status == "VERIFIED"


async def test_a_resend_withdraws_the_unsent_old_code_and_only_the_newest_mail_sets_the_status(
    app: Harness, ada: str
) -> None:
    worker = app.app.state.services.outbox
    await worker.stop()  # the mail server "is slow": nothing goes out until the worker is back
    try:
        user, token = await signed_in(app, ada)
        setup = (await set_up_email(app, token))["setup"]
        await cooldown_over(user.id)
        assert (await resend(app, token, setup["id"]))["error"] is None
        rows = await OutboxMessage.filter(setup_id=uuid.UUID(setup["id"])).order_by("id")
        assert [r.status for r in rows] == [OutboxStatus.FAILED, OutboxStatus.PENDING]
        assert rows[0].last_error is not None and rows[0].last_error.startswith("Superseded")
        # A late report about the old mail speaks for nothing: the set-up keeps its state.
        await delivery_result(app.app.state.services, rows[0])
        assert await status_of(app, token, setup["id"]) == "PENDING"
    finally:
        worker.start()
    await wait_for_status(app, token, setup["id"], "CODE_SENT")
    (message,) = await app.mails_to(ada)  # only the new code was mailed
    code = await app.mailed_code(ada)
    assert code in message.part("text/plain")
    assert (await submit(app, token, setup["id"], code))["error"] is None
