"""`twofactor worker`: the mail outbox in a process of its own, beside `serve --no-mail`.

The worker sends what the outbox holds (mail/outbox.py) exactly as a `serve` process does: the
delivery results and set-ups running out publish live events through the broker, so with Redis
configured the subscribers served by the `serve` processes see them. It also runs the scheduled
clean-up (server/housekeeping.py), which is harmless beside the one in each `serve` process.
It applies migrations only when told to (`--migrate`), and will not start on a database that is
unreachable or lacks a migration, since every pass would fail.

With Redis, a `serve` that leaves mail to the worker wakes it through a channel after each commit
that queued mail (`events.MailWakeSender`); without Redis the worker finds new mail at its next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from tortoise import Tortoise

from twofactor.mail.backends import backend_for
from twofactor.mail.outbox import STOP_GRACE, OutboxWorker
from twofactor.models.health import select_one
from twofactor.resolvers.setup_status import delivery_result, expire_due_setups
from twofactor.security.keyring import Keyring
from twofactor.server.context import Services
from twofactor.server.database import apply_migrations, pending_migrations, tortoise_config
from twofactor.server.events import MAIL_WAKE_CHANNEL, Broker, MailWakeSender, RedisBroker, make_broker
from twofactor.server.housekeeping import Housekeeper
from twofactor.server.settings import Settings

log = logging.getLogger("twofactor.worker")


class NotMigrated(Exception):
    """The database lacks migrations this version needs; the message says which and what to run."""


def process_services(settings: Settings) -> Services:
    """What lives as long as a server or worker process: settings, keys, the event broker."""
    return Services(
        settings=settings,
        keyring=Keyring(settings.secret_keys),
        broker=make_broker(settings.redis_url, settings.redis_prefix),
    )


def outbox_worker(services: Services) -> OutboxWorker:
    """The mail worker of a process: delivery results and expired set-ups are told to subscribers."""
    settings = services.settings
    return OutboxWorker(
        backend_for(settings.mail),
        services.keyring,
        settings.mail_from,
        on_result=lambda message: delivery_result(services, message),
        on_tick=lambda: expire_due_setups(services),
        database=services.database,
    )


def mail_wake_sender(services: Services) -> MailWakeSender | None:
    """What wakes an external worker from this `serve` process: through Redis, or nothing without it."""
    if services.settings.serve_sends_mail or not isinstance(services.broker, RedisBroker):
        return None
    return MailWakeSender(services.broker)


async def follow_wakes(broker: Broker, worker: OutboxWorker) -> None:
    """Wake the worker on every event of MAIL_WAKE_CHANNEL (a resync too: a wake may have been lost)."""
    async with broker.subscribe(MAIL_WAKE_CHANNEL) as wakes:
        async for _ in wakes:
            worker.wake()


async def run_mail_worker(settings: Settings, *, migrate: bool = False, stop: asyncio.Event | None = None) -> None:
    """Send the outbox's mail until SIGTERM or SIGINT (or `stop` is set), then finish the sends
    under way (STOP_GRACE at most) and return. `migrate` applies the migrations first."""
    if migrate:
        await apply_migrations(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        # Unreachable: OSError, which the command reports. Not migrated: every pass would fail.
        await select_one()
        pending = await pending_migrations(settings.database_url)
    except BaseException:
        await Tortoise.close_connections()
        raise
    if pending:
        await Tortoise.close_connections()
        raise NotMigrated(
            f"the database lacks {len(pending)} migration(s) ({', '.join(pending)}): "
            "run `twofactor migrate` first, or `twofactor worker --migrate`"
        )
    if settings.redis_url is None:
        log.warning(
            "TWOFACTOR_REDIS_URL is not set: the delivery results this worker publishes reach "
            "no subscriber of a `serve` process, and new mail waits for the next poll"
        )
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    services = process_services(settings)
    try:
        await services.broker.start()
        worker = outbox_worker(services)
        services.outbox = worker
        housekeeper = Housekeeper(settings.audit_retention)
        services.housekeeper = housekeeper
        wakes = loop.create_task(follow_wakes(services.broker, worker), name="twofactor-mail-wakes")
        worker.start()
        housekeeper.start()
        log.info("mail worker %s started", worker.worker_id)
        try:
            await stop.wait()
            log.info("stopping: finishing the sends under way (%.0f s at most)", STOP_GRACE)
        finally:
            wakes.cancel()
            await asyncio.gather(wakes, return_exceptions=True)
            await housekeeper.stop()
            await worker.stop(STOP_GRACE)
            services.outbox = None
            log.info("mail worker %s stopped", worker.worker_id)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        with contextlib.suppress(Exception):
            await services.broker.stop()
        await services.database.close()
        await Tortoise.close_connections()
