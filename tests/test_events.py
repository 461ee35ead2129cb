"""The live-event brokers: in-process fan-out, and Redis pub/sub across processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from helpers import REDIS_URL
from redis.asyncio import Redis
from redis.exceptions import RedisError

from twofactor.server.events import (
    QUEUE_SIZE,
    REDIS_CHANNEL_PREFIX,
    InProcessBroker,
    RedisBroker,
    Subscription,
    make_broker,
)

RESYNC = {"type": "resync"}
# A run's channels cannot meet another run's (or another engineer's) on a shared Redis.
RUN_PREFIX = f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def channel(request: pytest.FixtureRequest) -> str:
    return f"{RUN_PREFIX}:{request.node.name}:user:42"


async def next_event(subscription: Subscription) -> dict[str, object]:
    async with asyncio.timeout(5):
        return await anext(subscription)


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(5):
        while not await check():
            await asyncio.sleep(0.02)


@pytest.fixture
async def broker() -> AsyncIterator[InProcessBroker]:
    broker = InProcessBroker()
    await broker.start()
    yield broker
    await broker.stop()


@pytest.fixture
async def redis_admin() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except RedisError as exc:
        await client.aclose()
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL} in CI: .ci/run should have started it ({exc})")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    yield client
    await client.aclose()


@pytest.fixture
async def redis_brokers(redis_admin: Redis) -> AsyncIterator[Callable[..., Awaitable[RedisBroker]]]:
    started: list[RedisBroker] = []

    async def start_one(prefix: str = REDIS_CHANNEL_PREFIX) -> RedisBroker:
        broker = RedisBroker(REDIS_URL, prefix)
        await broker.start()
        started.append(broker)
        return broker

    yield start_one
    for broker in started:
        await broker.stop()


async def numsub(admin: Redis, channel: str) -> int:
    key = REDIS_CHANNEL_PREFIX + channel
    counts = dict(await admin.pubsub_numsub(key))
    return int(counts[key.encode()])


# In process


async def test_subscriber_receives_published_event(broker: InProcessBroker, channel: str) -> None:
    async with broker.subscribe(channel) as subscription:
        await broker.publish(channel, {"type": "changed", "id": 7})
        assert await next_event(subscription) == {"type": "changed", "id": 7}


async def test_every_subscriber_of_a_channel_receives_it(broker: InProcessBroker, channel: str) -> None:
    async with broker.subscribe(channel) as first, broker.subscribe(channel) as second:
        await broker.publish(channel, {"type": "changed"})
        assert await next_event(first) == {"type": "changed"}
        assert await next_event(second) == {"type": "changed"}


async def test_subscriber_receives_only_its_channel(broker: InProcessBroker, channel: str) -> None:
    async with broker.subscribe(channel) as subscription:
        await broker.publish(channel + "-other", {"type": "elsewhere"})
        await broker.publish(channel, {"type": "here"})
        assert await next_event(subscription) == {"type": "here"}


async def test_leaving_forgets_the_queue_and_the_channel(broker: InProcessBroker, channel: str) -> None:
    async with broker.subscribe(channel), broker.subscribe(channel):
        assert broker.fanout.subscriber_count(channel) == 2
    assert broker.fanout.subscriber_count(channel) == 0
    assert broker.fanout.channels() == frozenset()
    await broker.publish(channel, {"type": "nobody listens"})


async def test_overflow_replaces_the_backlog_with_one_resync(broker: InProcessBroker, channel: str) -> None:
    async with broker.subscribe(channel) as subscription:
        for number in range(QUEUE_SIZE + 3):
            await broker.publish(channel, {"type": "changed", "n": number})
        # The 101st event overflowed: the stale backlog went, a resync took its place.
        assert await next_event(subscription) == RESYNC
        assert await next_event(subscription) == {"type": "changed", "n": QUEUE_SIZE + 1}
        assert await next_event(subscription) == {"type": "changed", "n": QUEUE_SIZE + 2}


async def test_event_must_be_json(broker: InProcessBroker, channel: str) -> None:
    with pytest.raises(TypeError):
        await broker.publish(channel, {"type": "changed", "at": object()})


async def test_stopping_ends_subscriptions(channel: str) -> None:
    broker = InProcessBroker()
    await broker.start()
    async with broker.subscribe(channel) as subscription:
        await broker.publish(channel, {"type": "changed"})
        await broker.stop()
        async with asyncio.timeout(5):
            assert [event async for event in subscription] == []


async def test_iterating_before_entering_is_an_error(broker: InProcessBroker, channel: str) -> None:
    with pytest.raises(RuntimeError):
        await anext(broker.subscribe(channel))


async def test_make_broker_picks_redis_only_with_a_url() -> None:
    assert isinstance(make_broker(None), InProcessBroker)
    assert isinstance(make_broker(""), InProcessBroker)
    redis_broker = make_broker(REDIS_URL)
    assert isinstance(redis_broker, RedisBroker)
    await redis_broker.stop()


# Redis


async def test_redis_carries_events_between_processes(
    redis_brokers: Callable[..., Awaitable[RedisBroker]], channel: str
) -> None:
    sender, receiver = await redis_brokers(), await redis_brokers()
    async with receiver.subscribe(channel) as remote, sender.subscribe(channel) as local:
        await sender.publish(channel + "-other", {"type": "elsewhere"})
        await sender.publish(channel, {"type": "changed", "id": 7})
        assert await next_event(remote) == {"type": "changed", "id": 7}
        assert await next_event(local) == {"type": "changed", "id": 7}


async def test_redis_subscription_is_live_once_entered(
    redis_brokers: Callable[..., Awaitable[RedisBroker]], channel: str
) -> None:
    sender, receiver = await redis_brokers(), await redis_brokers()
    async with contextlib.AsyncExitStack() as stack:
        # Entered together: one SUBSCRIBE, and every one of them waits for Redis to confirm it.
        subscriptions = await asyncio.gather(
            *(stack.enter_async_context(receiver.subscribe(channel)) for _ in range(20))
        )
        await sender.publish(channel, {"type": "changed"})
        for subscription in subscriptions:
            assert await next_event(subscription) == {"type": "changed"}


async def test_redis_subscribes_once_per_channel_and_unsubscribes_with_the_last(
    redis_brokers: Callable[..., Awaitable[RedisBroker]], redis_admin: Redis, channel: str
) -> None:
    broker = await redis_brokers()
    async with broker.subscribe(channel):
        async with broker.subscribe(channel):
            assert await numsub(redis_admin, channel) == 1
            assert broker.fanout.subscriber_count(channel) == 2
        assert await numsub(redis_admin, channel) == 1

    async def unsubscribed() -> bool:
        return await numsub(redis_admin, channel) == 0

    await eventually(unsubscribed)
    assert broker.fanout.channels() == frozenset()


async def test_redis_reconnects_resyncs_and_delivers_again(
    redis_brokers: Callable[..., Awaitable[RedisBroker]], redis_admin: Redis, channel: str
) -> None:
    sender, receiver = await redis_brokers(), await redis_brokers()
    async with receiver.subscribe(channel) as subscription:
        # Only this broker's connection: other pub/sub users of this Redis are left alone.
        clients = await redis_admin.client_list(_type="pubsub")
        ids = [c["id"] for c in clients if c["name"] == receiver.client_name]
        assert len(ids) == 1
        assert await redis_admin.client_kill_filter(_id=ids[0], _type="pubsub") == 1

        assert await next_event(subscription) == RESYNC

        await sender.publish(channel, {"type": "changed", "after": "reconnect"})
        assert await next_event(subscription) == {"type": "changed", "after": "reconnect"}


async def test_redis_down_never_raises_into_the_publisher(channel: str, caplog: pytest.LogCaptureFixture) -> None:
    broker = RedisBroker("redis://127.0.0.1:1")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="twofactor.server.events"):
        await broker.start()
        async with broker.subscribe(channel):
            await broker.publish(channel, {"type": "changed"})
        await broker.stop()
    assert any("dropped" in record.getMessage() for record in caplog.records)
    assert all("127.0.0.1:1" not in record.getMessage() for record in caplog.records)


async def test_one_subscription_to_several_channels_shares_one_queue() -> None:
    broker = InProcessBroker()
    async with broker.subscribe("a", "b") as events:
        assert broker.fanout.subscriber_count("a") == broker.fanout.subscriber_count("b") == 1
        await broker.publish("b", {"type": "from-b"})
        await broker.publish("c", {"type": "from-c"})
        await broker.publish("a", {"type": "from-a"})
        async with asyncio.timeout(5):
            assert await anext(events) == {"type": "from-b"}
            assert await anext(events) == {"type": "from-a"}
    assert broker.fanout.channels() == frozenset()


async def test_deployments_with_different_prefixes_do_not_hear_each_other(
    redis_brokers: Callable[..., Awaitable[RedisBroker]], channel: str
) -> None:
    ours, theirs = await redis_brokers("ours:"), await redis_brokers("theirs:")
    async with ours.subscribe(channel) as events:
        await theirs.publish(channel, {"type": "ended"})
        await ours.publish(channel, {"type": "changed"})
        assert await next_event(events) == {"type": "changed"}
