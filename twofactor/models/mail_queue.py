"""The outbox's rows as the mail worker and the code mails use them: a message queued in the
transaction of the code it carries, claimed by one worker, then settled.

Every code mail and every pass of the worker runs these (hot paths): plain parameterized
statements (models/raw_sql.py), written once for both databases; the claim alone differs
by dialect, inside its text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from twofactor.models import raw_sql
from twofactor.models.outbox import OutboxMessage, OutboxStatus
from twofactor.models.request_reads import Loader

_INSERT = (
    'INSERT INTO "outbox" ("created_at", "kind", "recipient", "subject", "body_encrypted", "status", "attempts", '
    '"next_attempt_at", "deliver_before", "setup_id", "user_id") VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) '
    'RETURNING "id"'
)
# Due: pending, its time come, and unclaimed or its claim lapsed. Checked again by the
# UPDATE itself, so of two workers (or processes) picking the same row only one claims it;
# on PostgreSQL, READ COMMITTED re-evaluates it on a row another worker just claimed.
# PENDING as a literal, so an index limited to pending rows can serve it.
_DUE = """"status" = 'PENDING' AND "next_attempt_at" <= ? AND ("claimed_until" IS NULL OR "claimed_until" < ?)"""
# Settling: only the worker holding the claim may, so one whose claim expired and was
# taken over cannot overwrite the new owner's result. claimed_by stays once settled, as a
# record of which worker sent it (or gave up).
_GIVEN_UP = (
    'UPDATE "outbox" SET "status" = ?, "claimed_until" = NULL, "attempts" = "attempts" + ?, "last_error" = ? '
    'WHERE "id" = ? AND "status" = ? AND "claimed_by" = ?'
)
_RETRY = (
    'UPDATE "outbox" SET "attempts" = "attempts" + 1, "next_attempt_at" = ?, "claimed_until" = NULL, '
    '"claimed_by" = NULL, "last_error" = ? WHERE "id" = ? AND "status" = ? AND "claimed_by" = ?'
)
_PENDING = str(OutboxStatus.PENDING)
_ROWS = Loader(OutboxMessage)


async def queue_message(message: OutboxMessage, connection: BaseDBAsyncClient | None = None) -> int:
    """Insert a new row like `message` (built by mail/outbox.py, never saved itself), in the
    caller's transaction so it commits with its code; its id. A transaction run again after a
    deadlock inserts it again."""
    setup_id = message.setup_id
    ((message_id,),) = await raw_sql.fetch(
        _INSERT,
        datetime.now(UTC),
        message.kind,
        message.recipient,
        message.subject,
        message.body_encrypted,
        str(message.status),
        message.next_attempt_at,
        message.deliver_before,
        str(setup_id) if setup_id is not None else None,
        message.user_id,
        connection=connection,
    )
    return int(message_id)


@cache
def claim_sql(dialect: str, batch: int) -> str:
    """Claims up to `batch` due messages, oldest first, and returns them: one statement per pass."""
    # PostgreSQL skips rows another worker is claiming rather than waiting for them;
    # SQLite runs one writer at a time anyway. MATERIALIZED: the batch is chosen once.
    lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgres" else ""
    # Only the model's column names go into the text; every value is a parameter.
    returning = _ROWS.select('"outbox"')
    return (
        f'WITH "due" AS MATERIALIZED (SELECT "id" FROM "outbox" WHERE {_DUE} '  # noqa: S608
        f'ORDER BY "next_attempt_at" LIMIT {int(batch)}{lock}) '
        f'UPDATE "outbox" SET "claimed_until" = ?, "claimed_by" = ? '
        f'WHERE "id" IN (SELECT "id" FROM "due") AND {_DUE} '
        f"RETURNING {returning}"
    )


async def claim_due_messages(
    moment: datetime, claimed_until: datetime, worker_id: str, batch: int
) -> list[OutboxMessage]:
    """Claim the messages due at `moment` for `worker_id` until `claimed_until`; oldest first."""
    connection = Tortoise.get_connection("default")
    due = (moment, moment)
    rows = await raw_sql.fetch(
        claim_sql(connection.capabilities.dialect, batch), *due, claimed_until, worker_id, *due, connection=connection
    )
    # RETURNING keeps no order: send the oldest first, as they were chosen.
    return sorted((_ROWS.load(row) for row in rows), key=lambda message: (message.next_attempt_at, message.id))


async def retry_later(message_id: int, worker_id: str, next_attempt_at: datetime, reason: str) -> None:
    """A failed send of a message this worker holds: released, to be tried again at `next_attempt_at`."""
    await raw_sql.execute(_RETRY, next_attempt_at, reason, message_id, _PENDING, worker_id)


async def settle_message(
    message_id: int, worker_id: str, status: OutboxStatus, attempted: bool, error: str | None
) -> bool:
    """Settle a message this worker holds (given up on); False when another worker holds its claim now."""
    changed = await raw_sql.execute(_GIVEN_UP, str(status), int(attempted), error, message_id, _PENDING, worker_id)
    return bool(changed)


@cache
def _sent_sql(count: int) -> str:
    """Marks `count` messages SENT, each only while this worker holds its claim."""
    ids = ", ".join("?" for _ in range(count))
    return (
        'UPDATE "outbox" SET "status" = ?, "claimed_until" = NULL, "attempts" = "attempts" + 1, "sent_at" = ? '  # noqa: S608
        f'WHERE "id" IN ({ids}) AND "status" = ? AND "claimed_by" = ?'
    )


@cache
def _marked_sql(count: int) -> str:
    """Which of `count` messages a marking changed (RETURNING would cost SQLite more than this rare read)."""
    ids = ", ".join("?" for _ in range(count))
    return f'SELECT "id" FROM "outbox" WHERE "id" IN ({ids}) AND "status" = ? AND "claimed_by" = ? AND "sent_at" = ?'  # noqa: S608


async def mark_sent(ids: list[int], worker_id: str, moment: datetime) -> set[int]:
    """Mark the messages `ids` SENT at `moment`; those whose claim this worker still held."""
    sent = str(OutboxStatus.SENT)
    if await raw_sql.execute(_sent_sql(len(ids)), sent, moment, *ids, _PENDING, worker_id) == len(ids):
        return set(ids)
    # Another worker took over some claim (this one's lease lapsed): see which were ours.
    rows = await raw_sql.fetch(_marked_sql(len(ids)), *ids, sent, worker_id, moment)
    return {int(message_id) for (message_id,) in rows}
