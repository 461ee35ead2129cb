"""Live status: a set-up's verification, and every change to the user's 2FA."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from typing import Final, ParamSpec, TypeVar

from graphql import GraphQLError

from twofactor.models import Policy, Session, Setup, User
from twofactor.models.health import PROBE_INTERVAL, database_unavailable
from twofactor.models.request_reads import setup_of
from twofactor.models.sessions import session_is_live
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.resolvers import code_checks
from twofactor.resolvers.api_objects import TwoFactorRows, load_rows, policy_from_event, setup_view
from twofactor.resolvers.ids import parse_setup_id
from twofactor.resolvers.notices import POLICY_CHANNEL, session_channel, user_channel
from twofactor.schema import types
from twofactor.schema.errors import RATE_LIMITED
from twofactor.schema.my_two_factor import MyTwoFactor
from twofactor.server.auth import FULL, SETTING_UP, require
from twofactor.server.context import RequestContext, now
from twofactor.server.events import RESYNC_TYPE

P = ParamSpec("P")
T = TypeVar("T")

_QUEUE_SIZE = 64
# A fan-out of one event is over long before this many newer events arrive; older ones share nothing.
SHARED_EVENTS: Final = 4


async def _session_ended(session: Session, event: dict[str, object]) -> bool:
    """Logout and resets announce themselves; after a resync (events may be lost) ask the database."""
    if event.get("type") == "ended" or session.expires_at <= now():
        return True
    if event.get("type") == "resync":
        return not await _signed_in(session)
    return False


async def _signed_in(session: Session) -> bool:
    return await session_is_live(session.id, now())


@contextlib.contextmanager
def _place(context: RequestContext, user: User) -> Iterator[None]:
    """One of the user's MAX_SUBSCRIPTIONS_PER_USER places in this process, while the subscription runs."""
    slots = context.services.subscription_slots
    if not slots.take(user.id):
        raise GraphQLError(
            f"Too many live subscriptions for this account (at most {slots.per_user}): end one first.",
            extensions={"code": RATE_LIMITED},
        )
    try:
        yield
    finally:
        slots.give_back(user.id)


async def _once_available(
    context: RequestContext, read: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
) -> T:
    """`read(...)`, tried again while the database is unreachable: an open subscription outlives
    an outage and pushes the state read once it is back."""
    while True:
        try:
            return await read(*args, **kwargs)
        except Exception as error:
            if not database_unavailable(error):
                raise
            context.services.database.lost(error)
            await asyncio.sleep(PROBE_INTERVAL)


async def verification(context: RequestContext, setup_id: str) -> AsyncGenerator[types.TwoFactorSetup, None]:
    """The set-up's state now, then at every change, until it ends."""
    session, user = require(context, SETTING_UP)
    # Closed with the outer generator, so its broker subscription ends at once, not at garbage collection.
    with _place(context, user):
        async with contextlib.aclosing(_verification(context, session, user, setup_id)) as states:
            async for state in states:
                yield state


async def _verification(
    context: RequestContext, session: Session, user: User, setup_id: str
) -> AsyncGenerator[types.TwoFactorSetup, None]:
    parsed = parse_setup_id(setup_id)
    setup = await setup_of(user.id, parsed) if parsed else None
    if setup is None:
        raise GraphQLError("There is no such set-up.", extensions={"code": "NOT_FOUND"})
    channels = (user_channel(user.id), session_channel(session.id))
    async with context.services.broker.subscribe(*channels) as events:
        # Ended between the connection's check and the subscribe?
        if not await _once_available(context, _signed_in, session):
            return
        await code_checks.expire_if_due(setup)
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
            if await _once_available(context, _session_ended, session, event):
                return
            if event.get("type") == "changed":
                continue
            fresh = await _once_available(context, Setup.get_or_none, id=setup.id)
            if fresh is None:  # removed by an administrator's reset
                return
            setup = fresh
            await _once_available(context, code_checks.expire_if_due, setup)
            # After a resync (the broker came back, events may be lost) the client gets the state once.
            if _state(setup) != last or event.get("type") == RESYNC_TYPE:
                last = _state(setup)
                yield _view(context, setup, user)


def _state(setup: Setup) -> tuple[str, int, object]:
    return (str(setup.status), setup.failed_attempts, setup.expires_at)


def _view(context: RequestContext, setup: Setup, user: User) -> types.TwoFactorSetup:
    return setup_view(setup, user, context.keyring, context.settings.issuer)


class SharedEvent:
    """What the subscribers woken by one event share: its policy, one read of each user's rows, the views.

    Rows are kept per user id and a view per rows object, so a subscriber only ever gets a view
    built from rows read for its own user.
    """

    def __init__(self, event: dict[str, object]) -> None:
        self.event = event
        self.policy = policy_from_event(event.get("policy"))
        self._rows: dict[int, asyncio.Task[TwoFactorRows]] = {}
        self._views: dict[tuple[int, int], tuple[TwoFactorRows, Policy, weakref.ref[MyTwoFactor]]] = {}

    async def rows(self, user_id: int) -> TwoFactorRows:
        """The user's rows and live sessions, read once (after the event) for all of the user's subscribers."""
        task = self._rows.get(user_id)
        if task is None or (task.done() and not task.cancelled() and task.exception() is not None):
            # None yet, or the read failed (the database was down): read again.
            task = asyncio.ensure_future(load_rows(user_id, with_sessions=True))
            # Whoever started the read may leave; the others still wait for it.
            task.add_done_callback(_retrieve)
            self._rows[user_id] = task
        return await asyncio.shield(task)

    def view(self, rows: TwoFactorRows, policy: Policy) -> MyTwoFactor:
        """The page built from these very rows and policy, once."""
        key = (id(rows), id(policy))
        entry = self._views.get(key)
        view = entry[2]() if entry is not None else None
        if view is None:
            view = MyTwoFactor.of(rows, policy)
            # The entry holds rows and policy, so their ids are not reused while it exists; the view
            # only weakly: subscribers keep their latest alive, and an old event's views go with them.
            self._views[key] = (rows, policy, weakref.ref(view))
        return view


def _retrieve(task: asyncio.Task[TwoFactorRows]) -> None:
    if not task.cancelled():
        task.exception()  # each waiter gets it raised; this only keeps asyncio from logging it again


_recent: OrderedDict[int, SharedEvent] = OrderedDict()


def shared_event(event: dict[str, object]) -> SharedEvent:
    """The shared work of this event (brokers hand one event object to all its local subscribers)."""
    shared = _recent.get(id(event))
    if shared is None or shared.event is not event:
        shared = _recent[id(event)] = SharedEvent(event)
        while len(_recent) > SHARED_EVENTS:
            _recent.popitem(last=False)
    return shared


async def changes(context: RequestContext) -> AsyncGenerator[MyTwoFactor, None]:
    """The user's 2FA after every change made anywhere (and after a reconnect, in case one was missed).

    A policy change reaches every subscriber at once, so it is answered from the
    event and the rows this subscriber already read: no query per subscriber. The
    subscribers an event wakes share its work (`SharedEvent`).
    """
    session, user = require(context, FULL)
    # Closed with the outer generator, so its broker subscription ends at once, not at garbage collection.
    with _place(context, user):
        async with contextlib.aclosing(_changes(context, session, user)) as states:
            async for state in states:
                yield state


async def _changes(context: RequestContext, session: Session, user: User) -> AsyncGenerator[MyTwoFactor, None]:
    channels = (user_channel(user.id), session_channel(session.id), POLICY_CHANNEL)
    rows: TwoFactorRows | None = None
    policy: Policy | None = None
    async with context.services.broker.subscribe(*channels) as events:
        # Ended between the connection's check and the subscribe?
        if not await _once_available(context, _signed_in, session):
            return
        async for event in events:
            if await _once_available(context, _session_ended, session, event):
                return
            kind = event.get("type")
            if kind == "setup":
                continue
            shared = shared_event(event)
            announced = shared.policy
            if announced is None or rows is None:
                rows = await _once_available(context, shared.rows, user.id)
                if rows.live_sessions is not None and session.id not in rows.live_sessions:
                    # Ended where no event could tell this process (the command line without Redis):
                    # the user's changes are not shown to it.
                    return
                if announced is None and (policy is None or kind == "resync"):
                    policy = await _once_available(context, Policy.current)
            if announced is not None:
                policy = announced
            assert policy is not None
            yield shared.view(rows, policy)
