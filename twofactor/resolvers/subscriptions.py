"""Live status: a set-up's verification, and every change to the user's 2FA."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from graphql import GraphQLError

from twofactor.models import Session, Setup, User
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.resolvers import factors
from twofactor.resolvers.common import POLICY_CHANNEL, session_channel, user_channel
from twofactor.resolvers.my_two_factor import _parse_id
from twofactor.resolvers.views import my_two_factor, setup_view
from twofactor.schema import types
from twofactor.server.auth import FULL, SETTING_UP, require
from twofactor.server.context import RequestContext, now
from twofactor.server.events import Broker

_QUEUE_SIZE = 64


@contextlib.asynccontextmanager
async def _listening(
    broker: Broker, channels: Sequence[str]
) -> AsyncIterator[asyncio.Queue[tuple[str, dict[str, object]]]]:
    """One queue with the events of several channels."""
    queue: asyncio.Queue[tuple[str, dict[str, object]]] = asyncio.Queue(maxsize=_QUEUE_SIZE)

    async def pump(channel: str, subscription: AsyncIterator[dict[str, object]]) -> None:
        async for event in subscription:
            if queue.full():
                # Subscribers re-read state on any event, so only the newest matters.
                queue.get_nowait()
            queue.put_nowait((channel, event))

    async with contextlib.AsyncExitStack() as stack:
        tasks = []
        for channel in channels:
            subscription = await stack.enter_async_context(broker.subscribe(channel))
            tasks.append(asyncio.create_task(pump(channel, subscription)))
        try:
            yield queue
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _session_alive(session_id: int) -> bool:
    return await Session.filter(id=session_id, expires_at__gt=now()).exists()


async def verification(context: RequestContext, setup_id: str) -> AsyncGenerator[types.TwoFactorSetup, None]:
    """The set-up's state now, then at every change, until it ends."""
    session, user = require(context, SETTING_UP)
    parsed = _parse_id(setup_id)
    setup = await Setup.get_or_none(id=parsed, user_id=user.id) if parsed else None
    if setup is None:
        raise GraphQLError("There is no such set-up.", extensions={"code": "NOT_FOUND"})
    broker = context.services.broker
    async with _listening(broker, [user_channel(user.id), session_channel(session.id)]) as queue:
        await factors.expire_if_due(setup)
        last = _state(setup)
        yield _view(context, setup, user)
        while setup.status in OPEN_SETUP_STATUSES:
            timeout = max(0.05, (setup.expires_at - now()).total_seconds() + 0.05)
            try:
                channel, event = await asyncio.wait_for(queue.get(), timeout=timeout)
            except TimeoutError:
                channel, event = user_channel(user.id), {"type": "tick"}
            if channel.startswith("session:") or not await _session_alive(session.id):
                return
            if event.get("type") == "changed":
                continue
            fresh = await Setup.get_or_none(id=setup.id)
            if fresh is None:  # removed by an administrator's reset
                return
            setup = fresh
            await factors.expire_if_due(setup)
            if _state(setup) != last:
                last = _state(setup)
                yield _view(context, setup, user)


def _state(setup: Setup) -> tuple[str, int, object]:
    return (str(setup.status), setup.failed_attempts, setup.expires_at)


def _view(context: RequestContext, setup: Setup, user: User) -> types.TwoFactorSetup:
    return setup_view(setup, user, context.keyring, context.settings.issuer)


async def changes(context: RequestContext) -> AsyncGenerator[types.MyTwoFactor, None]:
    """The user's 2FA after every change made anywhere (and after a reconnect, in case one was missed)."""
    session, user = require(context, FULL)
    channels = [user_channel(user.id), session_channel(session.id), POLICY_CHANNEL]
    async with _listening(context.services.broker, channels) as queue:
        while True:
            channel, event = await queue.get()
            if channel.startswith("session:") or not await _session_alive(session.id):
                return
            if event.get("type") == "setup":
                continue
            yield await my_two_factor(user)
