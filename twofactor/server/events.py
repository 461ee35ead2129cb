"""Live events for subscriptions: an in-process broker, and Redis pub/sub shared by many processes.

An event only says "something changed here": subscribers re-read state from the database on any
event, so a dropped event is harmless as long as the subscriber is told to resync.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections import deque
from types import TracebackType
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

Event = dict[str, object]
EventQueue = asyncio.Queue[Event]

# A subscriber this far behind has lost nothing a resync cannot give back, and memory stays bounded.
QUEUE_SIZE: Final = 100
RESYNC_TYPE: Final = "resync"
# Namespaces our channels, so a shared Redis can serve other applications too.
REDIS_CHANNEL_PREFIX: Final = "twofactor:"
# Reconnect quickly after a blip, but do not hammer a Redis that is down.
RECONNECT_DELAY_FIRST: Final = 0.1
RECONNECT_DELAY_MAX: Final = 2.0
# A request publishing while Redis is unreachable waits at most about this long, once per attempt.
REDIS_CONNECT_TIMEOUT: Final = 1.0
REDIS_COMMAND_TIMEOUT: Final = 2.0
# Bounds how long entering a subscription waits for Redis to confirm it.
SUBSCRIBE_CONFIRM_TIMEOUT: Final = 2.0
# A silently dead connection (no RST, e.g. a failover behind NAT) is noticed after two of these.
KEEPALIVE_INTERVAL: Final = 30.0

# Ends iteration when the broker stops; compared by identity, so no event can be mistaken for it.
_CLOSED: Final[Event] = {"type": "closed"}


def _as_json(event: Event) -> str:
    return json.dumps(event, separators=(",", ":"))


class Broker(Protocol):
    """Publishes events to channels and hands out subscriptions to them."""

    @property
    def connected(self) -> bool:
        """Whether events reach the other processes now (False while Redis is unreachable)."""
        ...

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, channel: str, event: dict[str, object]) -> None: ...
    def subscribe(self, channel: str, *more: str) -> Subscription: ...


class LocalFanout:
    """This process's subscribers: a set of bounded queues per channel."""

    def __init__(self) -> None:
        self._queues: dict[str, set[EventQueue]] = {}
        self._closed = False

    def add(self, channel: str, queue: EventQueue | None = None) -> EventQueue:
        """A queue (new, or one already receiving other channels) that receives the channel's events."""
        if queue is None:
            queue = asyncio.Queue(QUEUE_SIZE)
        if self._closed:
            queue.put_nowait(_CLOSED)
        else:
            self._queues.setdefault(channel, set()).add(queue)
        return queue

    def remove(self, channel: str, queue: EventQueue) -> None:
        """Stop delivering to the queue; the channel is forgotten with its last queue."""
        queues = self._queues.get(channel)
        if queues is None:
            return
        queues.discard(queue)
        if not queues:
            del self._queues[channel]

    def has(self, channel: str) -> bool:
        """Whether the channel has a subscriber in this process."""
        return channel in self._queues

    def channels(self) -> frozenset[str]:
        """The channels with a subscriber in this process."""
        return frozenset(self._queues)

    def subscriber_count(self, channel: str) -> int:
        """How many subscriptions in this process listen to the channel."""
        return len(self._queues.get(channel, ()))

    def deliver(self, channel: str, event: Event) -> None:
        """Queue the event for every subscriber of the channel, without waiting."""
        for queue in self._queues.get(channel, ()):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # The backlog is stale anyway: one resync makes the subscriber re-read everything.
                _replace_backlog(queue, {"type": RESYNC_TYPE})

    def resync(self, channel: str) -> None:
        """Tell the channel's subscribers that events may have been lost."""
        self.deliver(channel, {"type": RESYNC_TYPE})

    def resync_all(self) -> None:
        """Tell every subscriber that events may have been lost."""
        for channel in list(self._queues):
            self.resync(channel)

    def close(self) -> None:
        """End every subscription's iteration; later ones end at once."""
        self._closed = True
        for queues in self._queues.values():
            for queue in queues:
                _replace_backlog(queue, _CLOSED)
        self._queues.clear()


def _replace_backlog(queue: EventQueue, event: Event) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(event)


class _Hub(Protocol):
    async def _join(self, channel: str, queue: EventQueue | None = None) -> EventQueue: ...
    async def _leave(self, channel: str, queue: EventQueue) -> None: ...


class Subscription:
    """One subscriber's events on one or more channels: `async with broker.subscribe(c) as s: async for`.

    Several channels share one queue, so a subscriber waits on one thing, not one task per channel.
    """

    def __init__(self, hub: _Hub, channel: str, *more: str) -> None:
        self.channel = channel
        self.channels = (channel, *more)
        self._hub = hub
        self._queue: EventQueue | None = None
        self._ended = False

    async def __aenter__(self) -> Subscription:
        if self._queue is not None:
            raise RuntimeError("a subscription can be entered once")
        queue: EventQueue | None = None
        try:
            for channel in self.channels:
                queue = await self._hub._join(channel, queue)
        except BaseException:
            if queue is not None:
                for channel in self.channels:
                    await self._hub._leave(channel, queue)
            raise
        self._queue = queue
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        queue, self._queue = self._queue, None
        self._ended = True
        if queue is not None:
            for channel in self.channels:
                await self._hub._leave(channel, queue)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        if self._ended:
            raise StopAsyncIteration
        if self._queue is None:
            raise RuntimeError("enter the subscription (async with) before iterating it")
        event = await self._queue.get()
        if event is _CLOSED:
            self._ended = True
            raise StopAsyncIteration
        return event


class InProcessBroker:
    """Events shared by the subscribers of this process only (one server process)."""

    def __init__(self) -> None:
        self.fanout = LocalFanout()

    @property
    def connected(self) -> bool:
        """Always: there is nothing to lose contact with."""
        return True

    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """End every subscription."""
        self.fanout.close()

    async def publish(self, channel: str, event: dict[str, object]) -> None:
        """Deliver the event to this process's subscribers of the channel."""
        # The JSON round trip makes a bad event fail here as it would with Redis, not only there.
        self.fanout.deliver(channel, json.loads(_as_json(event)))

    def subscribe(self, channel: str, *more: str) -> Subscription:
        """A subscription to the channels, active once entered."""
        return Subscription(self, channel, *more)

    async def _join(self, channel: str, queue: EventQueue | None = None) -> EventQueue:
        return self.fanout.add(channel, queue)

    async def _leave(self, channel: str, queue: EventQueue) -> None:
        self.fanout.remove(channel, queue)


class RedisBroker:
    """Events shared by every server process through Redis pub/sub, one connection per process."""

    def __init__(self, url: str, prefix: str = REDIS_CHANNEL_PREFIX) -> None:
        self.fanout = LocalFanout()
        # Deployments (or test runs) sharing one Redis keep apart by prefix.
        self.prefix = prefix
        # Named per broker so an operator (or a test) can tell which process holds which connection.
        self.client_name = f"twofactor-events-{os.getpid()}-{secrets.token_hex(4)}"
        # One quick retry covers a pooled connection the server closed; longer would stall requests.
        self._publisher = Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 1),
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_COMMAND_TIMEOUT,
        )
        # No hidden retries on the listener: the reader must see every disconnect to resync.
        self._listener = Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 0, supported_errors=()),
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_COMMAND_TIMEOUT,
            client_name=self.client_name,
        )
        # Serialises SUBSCRIBE/UNSUBSCRIBE with (re)connecting, so Redis's channels match ours.
        self._lock = asyncio.Lock()
        self._pubsub: PubSub | None = None
        self._redis_channels: set[str] = set()
        # Redis confirms SUBSCRIBEs in order, so each channel's waiters form a queue.
        self._confirmations: dict[str, deque[asyncio.Future[None]]] = {}
        self._resync_on_confirm: set[str] = set()
        self._reader: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def connected(self) -> bool:
        """Whether the pub/sub connection is up (events published elsewhere reach this process)."""
        return self._pubsub is not None

    async def start(self) -> None:
        """Start the reader; returns after its first connection attempt, successful or not."""
        if self._stopped:
            raise RuntimeError("a stopped broker cannot start again")
        if self._reader is not None:
            return
        first_attempt = asyncio.Event()
        self._reader = asyncio.create_task(self._read_forever(first_attempt), name="twofactor-events-reader")
        await first_attempt.wait()

    async def stop(self) -> None:
        """Stop the reader, close the connections and end every subscription."""
        self._stopped = True
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        await self._disconnect()
        self.fanout.close()
        await self._publisher.aclose()
        await self._listener.aclose()

    async def publish(self, channel: str, event: dict[str, object]) -> None:
        """Send the event to every process; if Redis is unreachable, log and drop it."""
        payload = _as_json(event)
        if self._stopped:
            logger.warning("event on %s dropped: the broker is stopped", channel)
            return
        try:
            await self._publisher.publish(self.prefix + channel, payload)
        except (RedisError, OSError) as exc:
            # The change is committed already; subscribers resync when the reader reconnects.
            logger.warning("event on %s dropped: Redis unreachable (%s)", channel, type(exc).__name__)

    def subscribe(self, channel: str, *more: str) -> Subscription:
        """A subscription to the channels, active (subscribed in Redis) once entered."""
        return Subscription(self, channel, *more)

    async def _join(self, channel: str, queue: EventQueue | None = None) -> EventQueue:
        queue = self.fanout.add(channel, queue)
        try:
            async with self._lock:
                confirmation = await self._sync_channel(channel)
            if confirmation is not None:
                # Returning before Redis confirms would lose events published right after.
                async with asyncio.timeout(SUBSCRIBE_CONFIRM_TIMEOUT):
                    await asyncio.shield(confirmation)
        except TimeoutError:
            logger.warning("Redis did not confirm the subscription to %s in time", channel)
        except BaseException:
            await self._leave(channel, queue)
            raise
        return queue

    async def _leave(self, channel: str, queue: EventQueue) -> None:
        self.fanout.remove(channel, queue)
        async with self._lock:
            await self._sync_channel(channel)

    async def _sync_channel(self, channel: str) -> asyncio.Future[None] | None:
        """Make Redis's subscription match ours; the confirmation to wait for, if any."""
        pubsub = self._pubsub
        if pubsub is None:
            return None  # the reader subscribes every channel when it reconnects
        wanted = self.fanout.has(channel)
        try:
            if wanted and channel not in self._redis_channels:
                # Expected before sending: the reader may see Redis's reply before subscribe() returns.
                confirmation = self._expect_confirmation(channel)
                await pubsub.subscribe(self.prefix + channel)
                self._redis_channels.add(channel)
                return confirmation
            if not wanted and channel in self._redis_channels:
                await pubsub.unsubscribe(self.prefix + channel)
                self._redis_channels.discard(channel)
        except (RedisError, OSError) as exc:
            logger.warning("Redis pub/sub command failed (%s); reconnecting", type(exc).__name__)
            # Closing wakes the reader with an error, and it re-subscribes everything on reconnect.
            self._pubsub = None
            await _close(pubsub)
            return None
        pending = self._confirmations.get(channel)
        return pending[-1] if wanted and pending else None

    def _expect_confirmation(self, channel: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirmations.setdefault(channel, deque()).append(future)
        return future

    async def _read_forever(self, first_attempt: asyncio.Event) -> None:
        delay = RECONNECT_DELAY_FIRST
        while True:
            try:
                pubsub = await self._connect()
            except Exception as exc:
                self._log_failure("cannot reach Redis pub/sub", exc, delay)
            else:
                if first_attempt.is_set():
                    logger.info("Redis pub/sub connected again")
                delay = RECONNECT_DELAY_FIRST
                first_attempt.set()
                try:
                    await self._read(pubsub)
                except Exception as exc:
                    self._log_failure("lost the Redis pub/sub connection", exc, delay)
                finally:
                    await self._disconnect()
            first_attempt.set()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_DELAY_MAX)

    @staticmethod
    def _log_failure(what: str, exc: Exception, delay: float) -> None:
        if isinstance(exc, RedisError | OSError):
            # The class name is enough and cannot carry the URL's password.
            logger.warning("%s (%s); retrying in %.1f s", what, type(exc).__name__, delay)
        else:
            logger.exception("%s; retrying in %.1f s", what, delay)

    async def _connect(self) -> PubSub:
        pubsub = self._listener.pubsub()
        try:
            await pubsub.ping()  # connects, and proves the server answers
            async with self._lock:
                channels = self.fanout.channels()
                if channels:
                    await pubsub.subscribe(*(self.prefix + c for c in channels))
                for channel in channels:
                    self._expect_confirmation(channel)
                # Pub/sub may have dropped events while we were away (or not yet connected).
                self._resync_on_confirm = set(channels)
                self._redis_channels = set(channels)
                self._pubsub = pubsub
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    async def _disconnect(self) -> None:
        async with self._lock:
            pubsub, self._pubsub = self._pubsub, None
            self._redis_channels.clear()
            self._resync_on_confirm.clear()
            # Waiters go on without a confirmation; the resync after reconnecting covers them.
            for pending in self._confirmations.values():
                for future in pending:
                    if not future.done():
                        future.set_result(None)
            self._confirmations.clear()
            if pubsub is not None:
                await _close(pubsub)

    async def _read(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        while True:
            message = await pubsub.get_message(timeout=KEEPALIVE_INTERVAL)
            if message is not None:
                last_heard = loop.time()
                self._dispatch(message)
                continue
            if loop.time() - last_heard > 1.5 * KEEPALIVE_INTERVAL:
                raise ConnectionError("no reply from Redis to a keepalive PING")
            async with self._lock:
                await pubsub.ping()

    def _dispatch(self, message: dict[str, object]) -> None:
        kind = message.get("type")
        if kind not in ("message", "subscribe"):
            return  # unsubscribe confirmations and keepalive pongs need nothing
        key = message.get("channel")
        if not isinstance(key, bytes):
            return
        name = key.decode()
        if not name.startswith(self.prefix):
            return
        channel = name[len(self.prefix) :]
        if kind == "subscribe":
            self._confirmed(channel)
            return
        data = message.get("data")
        try:
            event = json.loads(data) if isinstance(data, bytes | str) else None
        except ValueError:
            event = None
        if not isinstance(event, dict):
            logger.warning("ignored a malformed event on %s", channel)
            return
        self.fanout.deliver(channel, event)

    def _confirmed(self, channel: str) -> None:
        pending = self._confirmations.get(channel)
        if pending:
            future = pending.popleft()
            if not pending:
                del self._confirmations[channel]
            if not future.done():
                future.set_result(None)
        if channel in self._resync_on_confirm:
            self._resync_on_confirm.discard(channel)
            self.fanout.resync(channel)


async def _close(pubsub: PubSub) -> None:
    await pubsub.aclose()


class SubscriptionSlots:
    """How many live subscriptions each user holds in this process, and a cap on it.

    Per process: counting across processes would need a shared store (and a way to free the
    places of a process that died). With N processes a user may hold up to N times the cap.
    """

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._held: dict[int, int] = {}

    def held(self, user_id: int) -> int:
        """The user's subscriptions open in this process."""
        return self._held.get(user_id, 0)

    def take(self, user_id: int) -> bool:
        """Take a place for the user; False when they already hold the cap."""
        held = self._held.get(user_id, 0)
        if held >= self.per_user:
            return False
        self._held[user_id] = held + 1
        return True

    def give_back(self, user_id: int) -> None:
        """Free a place `take` gave."""
        held = self._held.get(user_id, 0) - 1
        if held > 0:
            self._held[user_id] = held
        else:
            self._held.pop(user_id, None)


def make_broker(redis_url: str | None, prefix: str = REDIS_CHANNEL_PREFIX) -> Broker:
    """Redis pub/sub when a URL is configured, else the in-process broker."""
    if redis_url:
        return RedisBroker(redis_url, prefix)
    return InProcessBroker()


# The broker channel on which `serve` processes tell the worker that mail was queued.
MAIL_WAKE_CHANNEL = "outbox"


class MailWakeSender:
    """In a `serve` that leaves mail to `twofactor worker`: `wake()` tells the worker through Redis.

    One publish at a time: wakes that come while one is under way are sent as one more after it,
    so no wake is lost and a burst of requests costs a few publishes, not one each.
    """

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Ask the worker to look at the outbox now (call after the commit that queued mail)."""
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._publish(), name="twofactor-mail-wake")

    async def _publish(self) -> None:
        while self._again:
            self._again = False
            try:
                await self._broker.publish(MAIL_WAKE_CHANNEL, {"type": "wake"})
            except Exception:
                # The worker polls anyway: a lost wake delays the mail by one poll interval at most.
                logger.exception("waking the mail worker failed")

    async def stop(self) -> None:
        """Cancel a publish under way (at shutdown)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
