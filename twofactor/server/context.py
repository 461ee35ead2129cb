"""The request context: who is asking, from where, and the services a resolver may use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response

from twofactor.mail.outbox import OutboxWorker
from twofactor.models import Authenticator, Policy, Session, SessionState, User
from twofactor.models.health import DatabaseAvailability
from twofactor.models.request_reads import SignedIn, signed_in
from twofactor.models.sessions import note_seen
from twofactor.security.keyring import Keyring
from twofactor.security.rules import MAX_SUBSCRIPTIONS_PER_USER, SESSION_SEEN_EVERY
from twofactor.security.tokens import token_hash
from twofactor.server.events import Broker, MailWakeSender, SubscriptionSlots
from twofactor.server.housekeeping import Housekeeper
from twofactor.server.settings import Settings
from twofactor.server.shutdown import OpenSockets

SESSION_COOKIE = "twofactor_session"
# A known device's token (models/devices.py): long-lived, HttpOnly, SameSite=Strict.
DEVICE_COOKIE = "twofactor_device"


@dataclass
class Services:
    """What lives as long as the server process."""

    settings: Settings
    keyring: Keyring
    broker: Broker
    outbox: OutboxWorker | None = None
    # When `twofactor worker` sends the mail (TWOFACTOR_MAIL_WORKER=external) and Redis is configured.
    mail_wake: MailWakeSender | None = None
    housekeeper: Housekeeper | None = None
    # Live subscriptions per user in this process (MAX_SUBSCRIPTIONS_PER_USER).
    subscription_slots: SubscriptionSlots = field(default_factory=lambda: SubscriptionSlots(MAX_SUBSCRIPTIONS_PER_USER))
    # Whether the database answered last; logs its outages once (models/health.py).
    database: DatabaseAvailability = field(default_factory=DatabaseAvailability)
    # The WebSockets this process serves, closed with 1001 at shutdown (server/shutdown.py).
    sockets: OpenSockets = field(default_factory=OpenSockets)

    def wake_mail(self) -> None:
        """Have the mail queued by a commit sent now: by this process's worker, or by `twofactor worker`."""
        if self.outbox is not None:
            self.outbox.wake()
        elif self.mail_wake is not None:
            self.mail_wake.wake()


@dataclass
class RequestContext:
    """One HTTP request or one WebSocket connection."""

    services: Services
    connection: HTTPConnection
    response: Response | None
    ip: str | None
    user_agent: str | None
    session: Session | None = None
    user: User | None = None
    # Set by strawberry at a WebSocket's connection_init.
    connection_params: dict[str, Any] | None = None
    # The user's authenticators and unused recovery codes, read with the session at the start
    # of the request: for reads that come before any change (a WebSocket drops it per operation).
    factors_read: tuple[list[Authenticator], int] | None = None
    # The "last seen" moment a sign-in challenge's request owes (`authenticate`): written after
    # its operation (`settle_seen`), unless the operation's own write of the session carried it.
    seen_owed: datetime | None = None

    @cached_property
    def request_id(self) -> str:
        """Names the request in logs and in a masked error; made only when one needs it."""
        return uuid.uuid4().hex[:12]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def keyring(self) -> Keyring:
        return self.services.keyring


def now() -> datetime:
    """The server's clock, in UTC: the only time the service trusts."""
    return datetime.now(UTC)


def client_ip(connection: HTTPConnection) -> str | None:
    """The client's address.

    Behind a proxy, uvicorn (`TWOFACTOR_TRUST_PROXY_HEADERS`, `FORWARDED_ALLOW_IPS`) has
    already put the address the trusted proxy saw here. X-Forwarded-For is not read again:
    its leftmost entries are whatever the client wrote.
    """
    return connection.client.host[:64] if connection.client else None


def bearer_token(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value."""
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def origin_allowed(connection: HTTPConnection, settings: Settings) -> bool:
    """True when the request carries no Origin, or one this deployment trusts.

    Browsers send Origin on cross-site POSTs and WebSockets; a cookie must not
    authenticate a request another site made.
    """
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    own = f"{connection.url.scheme.replace('ws', 'http')}://{connection.headers.get('host', '')}"
    return origin == own or origin in settings.cors_origins


async def _signed_in(token: str | None) -> SignedIn | None:
    """The live session a token names, with its user and second factors, or None."""
    if not token or len(token) > 200 or not token.isascii():
        return None  # tokens are URL-safe ASCII; anything else names no session
    found = await signed_in(token_hash(token))
    if found is None or found.session.expires_at <= now():
        return None
    return found


async def follow_account(session: Session) -> None:
    """The session's state as the account stands now (DESIGN: sessions follow the account).

    A full session of a user who has 2FA but that never proved a factor owes the challenge;
    one of a user without 2FA while 2FA is mandatory may only set it up. Decided from the
    rows already read (the user's row counts their authenticators) and the cached policy.
    """
    if session.state != SessionState.DONE:
        return
    if session.user.authenticator_count > 0:
        if session.second_factor_at is None:
            session.state = SessionState.CHALLENGE
    elif (await Policy.current()).mandatory:
        session.state = SessionState.SETUP


def _seen_due(session: Session) -> datetime | None:
    """The moment to record as the session's "last seen", when its record is a minute old or more."""
    moment = now()
    last = session.last_seen_at or session.created_at
    return moment if moment - last > SESSION_SEEN_EVERY else None


async def authenticate(context: RequestContext, token: str | None, *, defer_seen: bool = False) -> None:
    """Attach the session (and user) that `token` names to the context, and the user's
    authenticators as read with them (`RequestContext.factors_read`).

    The session's "last seen" is kept for the user's list of sessions, at most once a minute.
    With `defer_seen` (an HTTP request, whose operation runs next), a session at the sign-in
    challenge owes it instead (`RequestContext.seen_owed`): the answer that passes the challenge
    rewrites the session row anyway and records it there; `settle_seen` writes it otherwise.
    """
    found = await _signed_in(token)
    if found is not None:
        await follow_account(found.session)
        due = _seen_due(found.session)
        if due is not None and defer_seen and found.session.state == SessionState.CHALLENGE:
            context.seen_owed = due
        elif due is not None:
            await note_seen(found.session, due, SESSION_SEEN_EVERY)
    context.session = found.session if found is not None else None
    context.user = found.session.user if found is not None else None
    context.factors_read = (found.authenticators, found.recovery_codes_left) if found is not None else None


async def settle_seen(context: RequestContext) -> None:
    """Write the "last seen" the request still owes (see `authenticate`), after its operation."""
    owed, context.seen_owed = context.seen_owed, None
    if owed is not None and context.session is not None:
        await note_seen(context.session, owed, SESSION_SEEN_EVERY)


def request_token(connection: HTTPConnection, settings: Settings) -> str | None:
    """The session token of an HTTP request: the Bearer header, else a same-site cookie."""
    token = bearer_token(connection.headers.get("authorization"))
    if token is not None:
        return token
    if origin_allowed(connection, settings):
        return connection.cookies.get(SESSION_COOKIE)
    return None
