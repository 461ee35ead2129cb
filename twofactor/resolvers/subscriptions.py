"""Live status: a set-up's verification, and every change to the user's 2FA."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from graphql import GraphQLError

from twofactor.models import Policy, Session, Setup, User
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.resolvers import factors
from twofactor.resolvers.common import POLICY_CHANNEL, session_channel, user_channel
from twofactor.resolvers.my_two_factor import parse_setup_id
from twofactor.resolvers.views import TwoFactorRows, load_rows, my_two_factor_view, policy_from_event, setup_view
from twofactor.schema import types
from twofactor.server.auth import FULL, SETTING_UP, require
from twofactor.server.context import RequestContext, now

_QUEUE_SIZE = 64


async def _session_ended(session: Session, event: dict[str, object]) -> bool:
    """Logout and resets announce themselves; after a resync (events may be lost) ask the database."""
    if event.get("type") == "ended" or session.expires_at <= now():
        return True
    if event.get("type") == "resync":
        return not await _signed_in(session)
    return False


async def _signed_in(session: Session) -> bool:
    return await Session.filter(id=session.id, expires_at__gt=now()).exists()


async def verification(context: RequestContext, setup_id: str) -> AsyncGenerator[types.TwoFactorSetup, None]:
    """The set-up's state now, then at every change, until it ends."""
    session, user = require(context, SETTING_UP)
    parsed = parse_setup_id(setup_id)
    setup = await Setup.get_or_none(id=parsed, user_id=user.id) if parsed else None
    if setup is None:
        raise GraphQLError("There is no such set-up.", extensions={"code": "NOT_FOUND"})
    channels = (user_channel(user.id), session_channel(session.id))
    async with context.services.broker.subscribe(*channels) as events:
        if not await _signed_in(session):  # ended between the connection's check and the subscribe
            return
        await factors.expire_if_due(setup)
        last = _state(setup)
        yield _view(context, setup, user)
        while setup.status in OPEN_SETUP_STATUSES:
            # Wake at the expiry time too: EXPIRED is pushed without anyone asking.
            timeout = max(0.05, (setup.expires_at - now()).total_seconds() + 0.05)
            try:
                event = await asyncio.wait_for(anext(events), timeout=timeout)
            except TimeoutError:
                event = {"type": "tick"}
            except StopAsyncIteration:
                return
            if await _session_ended(session, event):
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
    """The user's 2FA after every change made anywhere (and after a reconnect, in case one was missed).

    A policy change reaches every subscriber at once, so it is answered from the
    event and the rows this subscriber already read: no query per subscriber.
    """
    session, user = require(context, FULL)
    channels = (user_channel(user.id), session_channel(session.id), POLICY_CHANNEL)
    rows: TwoFactorRows | None = None
    policy: Policy | None = None
    async with context.services.broker.subscribe(*channels) as events:
        if not await _signed_in(session):  # ended between the connection's check and the subscribe
            return
        async for event in events:
            if await _session_ended(session, event):
                return
            kind = event.get("type")
            if kind == "setup":
                continue
            announced = policy_from_event(event.get("policy"))
            if announced is not None and rows is not None:
                policy = announced
            else:
                rows = await load_rows(user.id)
                if announced is not None:
                    policy = announced
                elif policy is None or kind == "resync":
                    policy = await Policy.current()
            yield my_two_factor_view(rows, policy)
