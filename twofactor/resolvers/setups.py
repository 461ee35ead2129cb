"""Set-ups in progress: start one (by app or email), resend its code, cancel it, find it."""

from __future__ import annotations

import uuid

from twofactor.mail import messages
from twofactor.mail.outbox import outbox_message
from twofactor.models import (
    Method,
    OutboxMessage,
    Policy,
    Session,
    SessionState,
    Setup,
    SetupStatus,
    User,
)
from twofactor.models.audit import AuditNote
from twofactor.models.bounds import open_setups
from twofactor.models.request_reads import setup_of
from twofactor.models.setups import TooManyOpenSetups, cancel_open_setup, resend_setup_code, start_setup
from twofactor.models.two_factor import OPEN_SETUP_STATUSES, has_two_factor
from twofactor.resolvers import code_checks
from twofactor.resolvers.api_objects import METHOD_LABELS, forget_qr, method_enabled, setup_view
from twofactor.resolvers.authenticators import authenticators_read, name_or_refuse
from twofactor.resolvers.fresh_factor import notify_recovery_code_used, require_fresh_factor
from twofactor.resolvers.ids import parse_setup_id
from twofactor.resolvers.notices import audit, audit_note, audits_waits, publish, seconds_until, user_channel, wake_mail
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused
from twofactor.security import codes, totp
from twofactor.security.rules import EMAIL_CODE_LIFETIME, MAX_OPEN_SETUPS_PER_USER, RESEND_COOLDOWN, SETUP_LIFETIME
from twofactor.server.auth import SETTING_UP, require
from twofactor.server.context import RequestContext, now


def require_method(policy: Policy, method: Method) -> None:
    """METHOD_DISABLED unless administrators allow `method`."""
    if not method_enabled(policy, method):
        raise Refused(ErrorCode.METHOD_DISABLED, f"{METHOD_LABELS[method]} authentication is turned off.")


async def own_setup(user: User, setup_id: str) -> Setup:
    """The user's set-up with that id; NOT_FOUND for unknown ids and other users' ones."""
    parsed = parse_setup_id(setup_id)
    setup = await setup_of(user.id, parsed) if parsed else None
    if setup is None:
        raise _no_such_setup()
    return setup


def _no_such_setup() -> Refused:
    return Refused(ErrorCode.NOT_FOUND, "There is no such set-up.", field="setupId")


async def _as_stored(user: User, setup: Setup) -> Setup:
    """The set-up as stored now; NOT_FOUND when it is gone (an administrator's reset removes it)."""
    stored = await setup_of(user.id, setup.id)
    if stored is None:
        raise _no_such_setup()
    return stored


async def find_setup(context: RequestContext, user_id: int, setup_id: str) -> types.TwoFactorSetup | None:
    """`myTwoFactor.setup(id)`: the user's own set-up, else null."""
    _, user = require(context, SETTING_UP)
    parsed = parse_setup_id(setup_id)
    if parsed is None or user.id != user_id:
        return None
    setup = await setup_of(user.id, parsed)
    if setup is None:
        return None
    if await code_checks.expire_if_due(setup):
        await publish(context, user_channel(user.id), {"type": "setup", "id": str(setup.id)})
    if setup.status not in OPEN_SETUP_STATUSES:
        # The contract: "still in progress, else null". Final states reach clients through
        # the submitCode/cancelSetup payloads and the verification subscription.
        return None
    return setup_view(setup, user, context.keyring, context.settings.issuer)


async def setup_changed(context: RequestContext, setup: Setup) -> None:
    """Tell the user's subscribers that the set-up changed."""
    await publish(context, user_channel(setup.user_id), {"type": "setup", "id": str(setup.id)})


@audits_waits
async def set_up_app(context: RequestContext, code: str | None = None) -> types.SetupPayload:
    """'Set up authentication app': a new secret, its setup key, URI and QR code."""
    session, user = require(context, SETTING_UP)
    require_method(await Policy.current(), Method.APP)
    await require_room_for_setup(user)  # before a code is checked: a refusal spends none
    await require_fresh_to_add(context, session, user, code)
    secret = totp.new_secret()
    setup = Setup(
        id=uuid.uuid4(),
        user_id=user.id,
        method=Method.APP,
        secret_encrypted=context.keyring.encrypt(secret, code_checks.secret_context(user.id)),
        expires_at=now() + SETUP_LIFETIME,
    )
    await _start(setup, audit_note(context, "setup.started", target_id=user.id, method="APP", setup_id=str(setup.id)))
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


@audits_waits
async def set_up_email(context: RequestContext, name: str, code: str | None = None) -> types.SetupPayload:
    """'Send Verification Code': a code mailed to the login address, never another."""
    session, user = require(context, SETTING_UP)
    require_method(await Policy.current(), Method.EMAIL)
    clean = await name_or_refuse(user, name, read=authenticators_read(context))
    # Before a code is checked or a send claimed: a refusal spends neither.
    await require_room_for_setup(user)
    await require_fresh_to_add(context, session, user, code)
    # A new set-up's first code goes out at once: the cooldown spaces resends of one set-up.
    taken_at = await code_checks.claim_send(user.id, code_checks.OWN_SENDS)
    resend_at = now() + RESEND_COOLDOWN
    setup = Setup(
        id=uuid.uuid4(),
        user_id=user.id,
        method=Method.EMAIL,
        name=clean,
        email=user.email,
        expires_at=now() + EMAIL_CODE_LIFETIME,
        resend_available_at=resend_at,
    )
    code = codes.new_email_code()
    setup.code_digest = codes.code_digest(context.keyring.digest_key, code_checks.setup_purpose(setup), code)
    started = audit_note(context, "setup.started", target_id=user.id, method="EMAIL", setup_id=str(setup.id))
    try:
        await _start(setup, started, _setup_code_mail(context, setup, code))
    except Refused:
        # Parallel set-ups reached the cap first (counted again in the transaction): no mail went.
        await code_checks.give_back_send(user.id, code_checks.OWN_SENDS, taken_at)
        raise
    # After the commit: a worker woken earlier would not see the message yet and sleep a whole poll.
    wake_mail(context)
    await setup_changed(context, setup)
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


async def require_room_for_setup(user: User) -> None:
    """RATE_LIMITED when the user has MAX_OPEN_SETUPS_PER_USER set-ups in progress (as read:
    `start_setup` counts them again in its transaction)."""
    open_now = await open_setups(user.id, now())
    if len(open_now) >= MAX_OPEN_SETUPS_PER_USER:
        raise too_many_open(open_now)


def too_many_open(open_now: list[Setup]) -> Refused:
    return Refused(
        ErrorCode.RATE_LIMITED,
        f"You have {len(open_now)} set-ups in progress. Finish or cancel one before starting another.",
        retry_after_seconds=seconds_until(open_now[0].expires_at),
    )


async def _start(setup: Setup, started: AuditNote, code_mail: OutboxMessage | None = None) -> None:
    """Store the new set-up (`start_setup`), or refuse when the user has too many in progress."""
    outcome = await start_setup(
        setup, max_open=MAX_OPEN_SETUPS_PER_USER, moment=now(), audit=started, code_mail=code_mail
    )
    if isinstance(outcome, TooManyOpenSetups):
        raise too_many_open(outcome.open_setups)


def _setup_code_mail(context: RequestContext, setup: Setup, code: str) -> OutboxMessage:
    minutes = int(EMAIL_CODE_LIFETIME.total_seconds() // 60)
    return outbox_message(
        messages.setup_code(setup.email or "", setup.name or "", code, minutes),
        kind="setup_code",
        keyring=context.keyring,
        deliver_before=setup.expires_at,
        setup_id=setup.id,
        user_id=setup.user_id,
    )


@audits_waits
async def resend_code(context: RequestContext, setup_id: str) -> types.SetupPayload:
    """A new code for an EMAIL set-up; the old one stops working."""
    _, user = require(context, SETTING_UP)
    setup = await own_setup(user, setup_id)
    if setup.method != Method.EMAIL:
        raise Refused(ErrorCode.INVALID_INPUT, "Only email set-ups send codes.", field="setupId")
    await require_open(context, setup)
    moment = now()
    if setup.resend_available_at is not None and setup.resend_available_at > moment:
        raise code_checks.cooling_down(setup.resend_available_at, f"setup:{setup.id}", user.id)
    window = await code_checks.claim_send(user.id, code_checks.OWN_SENDS)
    resend_at = moment + RESEND_COOLDOWN
    code = codes.new_email_code()
    digest = codes.code_digest(context.keyring.digest_key, code_checks.setup_purpose(setup), code)
    expires = moment + EMAIL_CODE_LIFETIME
    # As the set-up will read if the resend goes: its code mail is due before the new expiry.
    setup.expires_at, setup.status, setup.resend_available_at = expires, SetupStatus.PENDING, resend_at
    resent = await resend_setup_code(
        setup.id,
        moment=moment,
        code_digest=digest,
        expires_at=expires,
        resend_at=resend_at,
        code_mail=_setup_code_mail(context, setup, code),
        audit=audit_note(context, "setup.code_resent", target_id=user.id, setup_id=str(setup.id)),
    )
    if not resent:
        # The set-up ended, or a parallel resend went first.
        await code_checks.give_back_send(user.id, code_checks.OWN_SENDS, window)
        now_stored = await setup_of(user.id, setup.id)
        if (
            now_stored is not None
            and now_stored.status in OPEN_SETUP_STATUSES
            and now_stored.resend_available_at is not None
        ):
            raise code_checks.cooling_down(now_stored.resend_available_at, f"setup:{setup.id}", user.id)
        raise Refused(ErrorCode.CODE_EXPIRED, "This set-up has ended. Start again.", field="setupId")
    wake_mail(context)
    await setup_changed(context, setup)
    setup = await _as_stored(user, setup)
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


async def require_open(context: RequestContext, setup: Setup) -> None:
    """Refuse a set-up that expired (expiring it now if due), locked or ended."""
    if await code_checks.expire_if_due(setup):
        await setup_changed(context, setup)
        raise Refused(ErrorCode.CODE_EXPIRED, "The code has expired. Start the set-up again.", field="code")
    if setup.status == SetupStatus.LOCKED:
        raise code_checks.setup_locked()
    if setup.status not in OPEN_SETUP_STATUSES:
        raise code_checks.setup_ended()


async def cancel_setup(context: RequestContext, setup_id: str) -> types.SetupPayload:
    """End a set-up; its secret or code stops working."""
    _, user = require(context, SETTING_UP)
    setup = await own_setup(user, setup_id)
    if await cancel_open_setup(setup.id):
        await audit(context, "setup.cancelled", target_id=user.id, setup_id=str(setup.id))
        forget_qr(setup.id)
        await setup_changed(context, setup)
    setup = await _as_stored(user, setup)
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


async def require_fresh_to_add(context: RequestContext, session: Session, user: User, code: str | None) -> None:
    """Adding a factor to an account that has one needs a fresh factor, as removing one does.

    Otherwise a stale (or stolen) session could enroll its own device, and with that
    device's codes remove the user's.
    """
    if session.state != SessionState.DONE:
        return
    read = authenticators_read(context)
    if not (read if read is not None else await has_two_factor(user.id)):
        return
    if await require_fresh_factor(context, session, user, code):
        await notify_recovery_code_used(context, user)
