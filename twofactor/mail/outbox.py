"""The outbox: mail is written in the transaction of the code it carries, then sent by a worker.

Delivery is at least once and, in practice, exactly once: a worker claims messages with
one conditional UPDATE before sending them, so two workers (or two server processes on
PostgreSQL or SQLite) never send the same message at the same time. Only a worker that
dies between the send and the bookkeeping causes a resend, once its claim has expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from twofactor.mail.backends import MailBackend, describe_failure
from twofactor.mail.messages import Email, to_mime
from twofactor.models.health import DatabaseAvailability, database_unavailable
from twofactor.models.mail_queue import claim_due_messages, mark_sent, queue_message, retry_later, settle_message
from twofactor.models.outbox import OutboxMessage, OutboxStatus, release_claim
from twofactor.security.keyring import DecryptionError, Keyring

log = logging.getLogger("twofactor.mail")

# How often the worker looks for due messages; wake() skips the wait for fresh ones.
POLL_INTERVAL = 1.0
# A claim outlives any SMTP timeout, so a live worker never loses a message it is sending.
CLAIM_LEASE = timedelta(seconds=60)
# Retries double from the first delay up to the cap: a server that is down for minutes
# is tried often enough that the code still arrives while it is valid.
FIRST_RETRY = timedelta(seconds=1)
MAX_RETRY = timedelta(seconds=60)
# Messages claimed per pass, and sent at once, so one slow server does not hold up the rest.
BATCH_SIZE = 50
PARALLEL_SENDS = 8
# Sent messages are marked SENT together: those of a full round of parallel sends, or when no
# send is under way, or after this many seconds at most. Under load that is one statement for
# about PARALLEL_SENDS messages instead of one each (a fifth of the worker's CPU on SQLite).
MARK_GATHER = 0.02
# At shutdown the worker finishes the sends under way for at most this long (beyond the SMTP
# timeout, at most MAX_MAIL_TIMEOUT), then gives up; a message cut off is sent again after its lease.
STOP_GRACE = 30.0

# Stored as last_error when a message's code expired before it could be sent.
_EXPIRED = "DeadlinePassed: not sent before deliver_before"

ResultHook = Callable[[OutboxMessage], Awaitable[None]]
TickHook = Callable[[], Awaitable[None]]


def _now() -> datetime:
    return datetime.now(UTC)


def _context(kind: str) -> str:
    # Binds the ciphertext to its kind: a body cannot be moved to a row of another kind.
    return f"outbox:{kind}"


def outbox_message(
    email: Email,
    *,
    kind: str,
    keyring: Keyring,
    deliver_before: datetime,
    setup_id: UUID | None = None,
    user_id: int | None = None,
) -> OutboxMessage:
    """One message to send, not yet saved (models/ saves it in the transaction it belongs to):
    the body encrypted (it may carry a code), recipient and subject in clear."""
    if deliver_before.tzinfo is None:
        raise ValueError("deliver_before must be timezone-aware")
    body = json.dumps({"to": email.to, "subject": email.subject, "text": email.text, "html": email.html})
    return OutboxMessage(
        kind=kind,
        recipient=email.to,
        subject=email.subject,
        body_encrypted=keyring.encrypt(body, _context(kind)),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=_now(),
        # UTC throughout: SQLite compares these timestamps as text.
        deliver_before=deliver_before.astimezone(UTC),
        setup_id=setup_id,
        user_id=user_id,
    )


async def enqueue(
    email: Email,
    *,
    kind: str,
    keyring: Keyring,
    deliver_before: datetime,
    setup_id: UUID | None = None,
    user_id: int | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> int:
    """Write one message to send; pass the caller's transaction so it commits with its code; its id.

    Call the worker's `wake()` after the transaction commits.
    """
    message = outbox_message(
        email, kind=kind, keyring=keyring, deliver_before=deliver_before, setup_id=setup_id, user_id=user_id
    )
    return await queue_message(message, connection)


def _open(message: OutboxMessage, keyring: Keyring) -> Email:
    """The decrypted body, kept in memory only for the send."""
    fields = json.loads(keyring.decrypt(message.body_encrypted, _context(message.kind)))
    return Email(to=fields["to"], subject=fields["subject"], text=fields["text"], html=fields["html"])


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1 s, 2 s, 4 s ... up to MAX_RETRY."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 16)), MAX_RETRY)


class OutboxWorker:
    """Sends due outbox messages, in the background (`start`) or one pass at a time."""

    def __init__(
        self,
        backend: MailBackend,
        keyring: Keyring,
        mail_from: str,
        on_result: ResultHook,
        on_tick: TickHook | None = None,
        *,
        poll_interval: float = POLL_INTERVAL,
        database: DatabaseAvailability | None = None,
    ) -> None:
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:64]
        self._backend = backend
        self._keyring = keyring
        self._mail_from = mail_from
        self._on_result = on_result
        self._on_tick = on_tick
        self._poll_interval = poll_interval
        # Told when a pass finds the database unreachable, so an outage is logged once, not every pass.
        self._database = database if database is not None else DatabaseAvailability()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Messages sent and not yet marked SENT, each with what its `_mark_sent` waits for.
        self._sent: list[tuple[int, asyncio.Future[datetime | None]]] = []
        self._marking: asyncio.Task[None] | None = None
        # Sends under way, and whether the messages sent so far should be marked now.
        self._sending = 0
        self._mark_now = asyncio.Event()
        # Set by `stop()`: sends under way finish, no new one starts.
        self._stopping = False

    def __repr__(self) -> str:
        return f"OutboxWorker(id={self.worker_id!r})"

    def start(self) -> None:
        """Run in the background until `stop()`."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name=f"outbox-worker {self.worker_id}")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Let the sends under way finish (for `grace` seconds at most), start no new one, then
        stop the background loop and close the backend's idle connections.

        Messages claimed but not yet being sent are released for the next worker. A send still
        running after `grace` is cancelled: its message keeps its claim until the lease ends,
        then another pass sends it again (a rare duplicate beats a lost code).
        """
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            # wait() neither raises the task's cancellation nor swallows our own.
            await asyncio.wait([task], timeout=grace)
            if not task.done():
                log.warning("outbox worker: sends still under way after %.0f s; cancelling them", grace)
                task.cancel()
                await asyncio.wait([task])
            if not task.cancelled() and task.exception() is not None:
                log.error("outbox worker ended with %s", type(task.exception()).__name__)
        if self._marking is not None:
            # Messages sent before the stop are marked SENT, not sent again after the lease.
            await asyncio.wait([self._marking])
        try:
            await self._backend.aclose()
        except Exception:
            log.exception("outbox worker: closing the mail backend failed")

    def wake(self) -> None:
        """Look for due messages now rather than at the next poll (call after a commit)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and process the due messages; return how many this worker handled."""
        claimed = await self._claim_due(_now())
        places = asyncio.Semaphore(PARALLEL_SENDS)

        async def deliver(message: OutboxMessage) -> None:
            try:
                await self._deliver(message, places)
            except Exception:
                # Its bookkeeping failed (the database, most likely): the claim lapses
                # and a later pass retries it, while the other messages go on.
                log.exception("outbox message %s (%s): not settled", message.id, message.kind)

        await asyncio.gather(*(deliver(m) for m in claimed))
        return len(claimed)

    async def _loop(self) -> None:
        clock = asyncio.get_running_loop()
        next_tick = clock.time()
        while not self._stopping:
            # on_tick is for what time alone brings (set-ups expiring): once per poll
            # interval, not at every wake(), which under load comes with every message.
            if clock.time() >= next_tick:
                next_tick = clock.time() + self._poll_interval
                await self._tick()
            try:
                handled = await self.run_once()
            except Exception as error:
                # The database may be briefly unreachable: keep the worker alive.
                if database_unavailable(error):
                    self._database.lost(error)
                else:
                    log.exception("outbox worker: a pass failed; trying again")
                handled = 0
            if handled < BATCH_SIZE and not self._stopping:
                await self._sleep()

    async def _tick(self) -> None:
        if self._on_tick is None:
            return
        try:
            await self._on_tick()
        except Exception as error:
            if database_unavailable(error):
                self._database.lost(error)
            else:
                log.exception("outbox worker: on_tick failed")

    async def _sleep(self) -> None:
        try:
            async with asyncio.timeout(self._poll_interval):
                await self._wake.wait()
        except TimeoutError:
            pass
        # Cleared after waking, before the pass: a wake() during the pass is kept.
        self._wake.clear()

    async def _claim_due(self, now: datetime) -> list[OutboxMessage]:
        return await claim_due_messages(now, now + CLAIM_LEASE, self.worker_id, BATCH_SIZE)

    async def _deliver(self, message: OutboxMessage, places: asyncio.Semaphore) -> None:
        """Send one message, taking one of the pass's `places` for the send only: its
        bookkeeping goes on while the next message is sent."""
        if _now() >= message.deliver_before:
            await self._finish(message, OutboxStatus.FAILED, _EXPIRED)
            return
        try:
            mime = to_mime(_open(message, self._keyring), self._mail_from)
        except (DecryptionError, ValueError, KeyError, TypeError) as error:
            # It will never decrypt or never form a valid message: retrying cannot help.
            await self._finish(message, OutboxStatus.FAILED, describe_failure(error))
            return
        try:
            async with places:
                if self._stopping:
                    # Shutting down: the next worker sends it, without waiting for the lease.
                    await release_claim(message.id, self.worker_id)
                    return
                self._sending += 1
                try:
                    await self._backend.send(mime)
                finally:
                    self._sending -= 1
        except Exception as error:
            await self._retry_or_fail(message, error)
            return
        await self._finish(message, OutboxStatus.SENT, None, attempted=True)

    async def _retry_or_fail(self, message: OutboxMessage, error: Exception) -> None:
        attempts = message.attempts + 1
        reason = describe_failure(error)
        next_attempt_at = _now() + retry_delay(attempts)
        if next_attempt_at > message.deliver_before:
            await self._finish(message, OutboxStatus.FAILED, reason, attempted=True)
            return
        log.warning(
            "outbox message %s (%s): attempt %d failed (%s); retrying at %s",
            message.id, message.kind, attempts, type(error).__name__, next_attempt_at.isoformat(),
        )  # fmt: skip
        await retry_later(message.id, self.worker_id, next_attempt_at, reason)

    async def _finish(
        self,
        message: OutboxMessage,
        status: OutboxStatus,
        error: str | None,
        *,
        attempted: bool = False,
    ) -> None:
        # When the row was settled; None if another worker holds its claim now.
        moment: datetime | None
        if status is OutboxStatus.SENT:
            moment = await self._mark_sent(message.id)
        else:
            moment = _now()
            if not await settle_message(message.id, self.worker_id, status, attempted, error):
                moment = None
        if moment is None:
            log.warning("outbox message %s (%s): claim lost before %s", message.id, message.kind, status)
            return
        # The hook gets the row as written: the claim holder alone changed it since the claim.
        message.status = status
        message.claimed_until = None
        message.attempts += int(attempted)
        if status is OutboxStatus.SENT:
            message.sent_at = moment
            log.info("outbox message %s (%s): sent", message.id, message.kind)
        else:
            message.last_error = error
            log.warning("outbox message %s (%s): failed (%s)", message.id, message.kind, error)
        await self._report(message)

    async def _mark_sent(self, message_id: int) -> datetime | None:
        """Mark a sent message SENT; when, or None if another worker holds its claim now.

        Messages sent about the same time are marked together (`MARK_GATHER`): under load one
        statement settles a round of parallel sends, and a message alone is marked at once.
        """
        marked: asyncio.Future[datetime | None] = asyncio.get_running_loop().create_future()
        self._sent.append((message_id, marked))
        if len(self._sent) >= PARALLEL_SENDS or not self._sending:
            self._mark_now.set()
        if self._marking is None:
            self._marking = asyncio.create_task(self._mark_all_sent())
        return await marked

    async def _mark_all_sent(self) -> None:
        try:
            while self._sent:
                # A full round of sends, none under way, or MARK_GATHER at most.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(MARK_GATHER):
                        await self._mark_now.wait()
                self._mark_now.clear()
                batch, self._sent = self._sent, []
                moment = _now()
                try:
                    changed = await self._run_mark_sent([message_id for message_id, _ in batch], moment)
                except Exception as error:
                    for _, marked in batch:
                        if not marked.done():
                            marked.set_exception(error)
                    continue
                for message_id, marked in batch:
                    if not marked.done():  # its sender may have been cancelled meanwhile
                        marked.set_result(moment if message_id in changed else None)
        finally:
            self._marking = None

    async def _run_mark_sent(self, ids: list[int], moment: datetime) -> set[int]:
        """Mark the messages `ids` SENT at `moment`; those whose claim this worker still held."""
        return await mark_sent(ids, self.worker_id, moment)

    async def _report(self, message: OutboxMessage) -> None:
        try:
            await self._on_result(message)
        except Exception:
            log.exception("outbox message %s (%s): on_result failed", message.id, message.kind)
