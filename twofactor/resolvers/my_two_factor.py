"""The 'Your 2FA' page: set up by app or email, submit the code, rename, remove, recovery codes."""

from __future__ import annotations

import uuid

import strawberry

from twofactor.mail import messages
from twofactor.mail.outbox import outbox_message
from twofactor.models import (
    Authenticator,
    Method,
    OutboxMessage,
    Policy,
    Session,
    SessionState,
    Setup,
    SetupStatus,
    User,
    account,
    attempts,
)
from twofactor.models.audit import AuditNote
from twofactor.models.bounds import open_setups
from twofactor.models.hot_reads import authenticator_of, setup_of
from twofactor.models.mail_queue import queue_message
from twofactor.models.setups import (
    CompletedSetup,
    NewAuthenticator,
    SetupNotCompleted,
    TooManyOpenSetups,
    cancel_open_setup,
    complete_setup,
    lock_setup,
    note_setup_changed,
    resend_setup_code,
    start_setup,
)
from twofactor.models.two_factor import OPEN_SETUP_STATUSES, name_in_use
from twofactor.resolvers import factors
from twofactor.resolvers.common import (
    audit,
    audit_note,
    audits_waits,
    notice_message,
    publish,
    seconds_until,
    session_channel,
    user_changed,
    user_channel,
    wake_mail,
)
from twofactor.resolvers.views import forget_qr, method_enabled, setup_view
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused, unauthenticated
from twofactor.security import codes, totp
from twofactor.security.names import clean_name, name_key
from twofactor.security.rules import (
    ATTEMPTS_PER_VERIFICATION,
    EMAIL_CODE_LIFETIME,
    MAX_OPEN_SETUPS_PER_USER,
    PENDING_SESSION_LIFETIME,
    RECOVERY_CODE_COUNT,
    RESEND_COOLDOWN,
    SESSION_LIFETIME,
    SETUP_LIFETIME,
)
from twofactor.server.auth import FULL, SETTING_UP, require
from twofactor.server.context import RequestContext, now

METHOD_LABELS = {Method.EMAIL: "Email", Method.APP: "Authenticator app"}
SET_UP_MESSAGE = "Two-factor authentication is set up."
ADDED_MESSAGE = "The authenticator was added."


def parse_setup_id(raw: str) -> uuid.UUID | None:
    """A set-up id as sent by a client, or None when it cannot be one."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


# Integer ids are 32-bit in PostgreSQL: a larger one names no row (asking would be a database error).
MAX_INT_ID = 2**31 - 1


def parse_int_id(raw: str) -> int | None:
    """A numeric id as sent by a client, or None when it cannot name a row (no database error for junk)."""
    text = str(raw)
    value = int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None
    return value if value is not None and value <= MAX_INT_ID else None


async def _own_setup(user: User, setup_id: str) -> Setup:
    parsed = parse_setup_id(setup_id)
    setup = await setup_of(user.id, parsed) if parsed else None
    if setup is None:
        raise Refused(ErrorCode.NOT_FOUND, "There is no such set-up.", field="setupId")
    return setup


async def own_authenticator(
    user: User, authenticator_id: str, field: str = "id", read: list[Authenticator] | None = None
) -> Authenticator:
    """The user's authenticator with that id; NOT_FOUND for unknown ids and other users' ones.

    `read`: the user's authenticators as read earlier in this request, before any change.
    """
    parsed = parse_int_id(authenticator_id)
    if parsed is None:
        row = None
    elif read is not None:
        row = next((a for a in read if a.id == parsed), None)
    else:
        row = await authenticator_of(user.id, parsed)
    if row is None:
        raise Refused(ErrorCode.NOT_FOUND, "There is no such authenticator.", field=field)
    return row


def _name_taken() -> Refused:
    return Refused(ErrorCode.NAME_TAKEN, "You already have an authenticator with this name.", field="name")


def _last_authenticator() -> Refused:
    return Refused(
        ErrorCode.LAST_AUTHENTICATOR_REQUIRED,
        "Two-factor authentication is mandatory: add another authenticator before removing this one.",
    )


def authenticators_read(context: RequestContext) -> list[Authenticator] | None:
    """The user's authenticators as read with the session, for checks made before any change."""
    return context.factors_read[0] if context.factors_read is not None else None


async def _name_or_refuse(
    user: User, raw: str, *, except_id: int | None = None, read: list[Authenticator] | None = None
) -> str:
    """The cleaned name, unless it is invalid or another of the user's authenticators has it.

    `read`: the authenticators as read earlier in the request. Either way the unique index
    on (user, name) has the last word when two requests race (NAME_TAKEN).
    """
    name, problem = clean_name(raw)
    if name is None:
        raise Refused(ErrorCode.INVALID_INPUT, problem or "Invalid name.", field="name")
    if read is not None:
        if any(a.name_key == name_key(name) and a.id != except_id for a in read):
            raise _name_taken()
        return name
    clash = await name_in_use(user.id, name_key(name), except_id)
    if clash:
        raise _name_taken()
    return name


def _require_method(policy: Policy, method: Method) -> None:
    if not method_enabled(policy, method):
        raise Refused(ErrorCode.METHOD_DISABLED, f"{METHOD_LABELS[method]} authentication is turned off.")


async def find_setup(context: RequestContext, user_id: int, setup_id: str) -> types.TwoFactorSetup | None:
    """`myTwoFactor.setup(id)`: the user's own set-up, else null."""
    _, user = require(context, SETTING_UP)
    parsed = parse_setup_id(setup_id)
    if parsed is None or user.id != user_id:
        return None
    setup = await Setup.get_or_none(id=parsed, user_id=user.id)
    if setup is None:
        return None
    if await factors.expire_if_due(setup):
        await publish(context, user_channel(user.id), {"type": "setup", "id": str(setup.id)})
    if setup.status not in OPEN_SETUP_STATUSES:
        # The contract: "still in progress, else null". Final states reach clients through
        # the submitCode/cancelSetup payloads and the verification subscription.
        return None
    return setup_view(setup, user, context.keyring, context.settings.issuer)


async def _setup_changed(context: RequestContext, setup: Setup) -> None:
    await publish(context, user_channel(setup.user_id), {"type": "setup", "id": str(setup.id)})


@audits_waits
async def set_up_app(context: RequestContext, code: str | None = None) -> types.SetupPayload:
    """'Set up authentication app': a new secret, its setup key, URI and QR code."""
    session, user = require(context, SETTING_UP)
    _require_method(await Policy.current(), Method.APP)
    await _require_room_for_setup(user)  # before a code is checked: a refusal spends none
    await _require_fresh_to_add(context, session, user, code)
    secret = totp.new_secret()
    setup = Setup(
        id=uuid.uuid4(),
        user_id=user.id,
        method=Method.APP,
        secret_encrypted=context.keyring.encrypt(secret, factors.secret_context(user.id)),
        expires_at=now() + SETUP_LIFETIME,
    )
    await _start(setup, audit_note(context, "setup.started", target_id=user.id, method="APP", setup_id=str(setup.id)))
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


@audits_waits
async def set_up_email(context: RequestContext, name: str, code: str | None = None) -> types.SetupPayload:
    """'Send Verification Code': a code mailed to the login address, never another."""
    session, user = require(context, SETTING_UP)
    _require_method(await Policy.current(), Method.EMAIL)
    clean = await _name_or_refuse(user, name, read=authenticators_read(context))
    # Before a code is checked or a send claimed: a refusal spends neither.
    await _require_room_for_setup(user)
    await _require_fresh_to_add(context, session, user, code)
    # A new set-up's first code goes out at once: the cooldown spaces resends of one set-up.
    await factors.claim_send(user.id, factors.OWN_SENDS)
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
    setup.code_digest = codes.code_digest(context.keyring.digest_key, factors.setup_purpose(setup), code)
    started = audit_note(context, "setup.started", target_id=user.id, method="EMAIL", setup_id=str(setup.id))
    await _start(setup, started, _setup_code_mail(context, setup, code))
    # After the commit: a worker woken earlier would not see the message yet and sleep a whole poll.
    wake_mail(context)
    await _setup_changed(context, setup)
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


async def _require_room_for_setup(user: User) -> None:
    """RATE_LIMITED when the user has MAX_OPEN_SETUPS_PER_USER set-ups in progress (as read:
    `start_setup` counts them again in its transaction)."""
    open_now = await open_setups(user.id, now())
    if len(open_now) >= MAX_OPEN_SETUPS_PER_USER:
        raise _too_many_open(open_now)


def _too_many_open(open_now: list[Setup]) -> Refused:
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
        raise _too_many_open(outcome.open_setups)


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
    setup = await _own_setup(user, setup_id)
    if setup.method != Method.EMAIL:
        raise Refused(ErrorCode.INVALID_INPUT, "Only email set-ups send codes.", field="setupId")
    await _require_open(context, setup)
    moment = now()
    if setup.resend_available_at is not None and setup.resend_available_at > moment:
        raise factors.cooling_down(setup.resend_available_at, f"setup:{setup.id}", user.id)
    window = await factors.claim_send(user.id, factors.OWN_SENDS)
    resend_at = moment + RESEND_COOLDOWN
    code = codes.new_email_code()
    digest = codes.code_digest(context.keyring.digest_key, factors.setup_purpose(setup), code)
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
        await factors.give_back_send(user.id, factors.OWN_SENDS, window)
        await setup.refresh_from_db(fields=["status", "resend_available_at"])
        if setup.status in OPEN_SETUP_STATUSES and setup.resend_available_at is not None:
            raise factors.cooling_down(setup.resend_available_at, f"setup:{setup.id}", user.id)
        raise Refused(ErrorCode.CODE_EXPIRED, "This set-up has ended. Start again.", field="setupId")
    wake_mail(context)
    await _setup_changed(context, setup)
    await setup.refresh_from_db()
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


async def _require_open(context: RequestContext, setup: Setup) -> None:
    if await factors.expire_if_due(setup):
        await _setup_changed(context, setup)
        raise Refused(ErrorCode.CODE_EXPIRED, "The code has expired. Start the set-up again.", field="code")
    if setup.status == SetupStatus.LOCKED:
        raise factors.setup_locked()
    if setup.status not in OPEN_SETUP_STATUSES:
        raise factors.setup_ended()


async def _check_setup_code(context: RequestContext, setup: Setup, code: str) -> int | None:
    """The TOTP step (APP) or 0 (EMAIL) when `code` is right, else None."""
    if setup.method == Method.APP:
        assert setup.secret_encrypted is not None
        secret = context.keyring.decrypt(setup.secret_encrypted, factors.secret_context(setup.user_id))
        return totp.matching_step(secret, code)
    expected = codes.code_digest(context.keyring.digest_key, factors.setup_purpose(setup), code)
    return 0 if setup.code_digest and codes.digest_matches(setup.code_digest, expected) else None


@audits_waits
async def submit_code(context: RequestContext, setup_id: str, code: str, name: str | None) -> types.SubmitCodePayload:
    """'Submit Code and Create': check the code and create the authenticator, in one transaction."""
    session, user = require(context, SETTING_UP)
    setup = await _own_setup(user, setup_id)
    policy = await Policy.current()
    _require_method(policy, Method(setup.method))
    await _require_open(context, setup)
    if setup.method == Method.APP:
        if name is None:
            raise Refused(ErrorCode.INVALID_INPUT, "Give the authenticator a name.", field="name")
        final_name = await _name_or_refuse(user, name, read=authenticators_read(context))
    else:
        final_name = await _name_or_refuse(user, setup.name or "", read=authenticators_read(context))
    normalized = codes.normalize_code(code)
    if normalized is None:
        raise Refused(ErrorCode.INVALID_INPUT, "A code is 6 digits.", field="code")

    step = await _check_setup_code(context, setup, normalized)
    made = None
    if step is not None and factors.try_left_as_read(setup.failed_attempts, user):
        # A right code, with the set-up and the user as read: its writes check them again
        # instead of counting a try that they would forgive at once (two statements fewer).
        made = await _finish_setup(
            context, session, user, setup, name=final_name, step=step, policy=policy, counted=False
        )
    if made is None:
        # Any other answer waits for the try to be counted. A user who must wait keeps the
        # set-up's try (RATE_LIMITED), whether the code was right or not.
        attempts_left = await factors.reserve_setup_and_user_attempt(setup, user, session)
        if step is None:
            raise await _fail_setup(context, setup, user, attempts_left)
        made = await _finish_setup(
            context, session, user, setup, name=final_name, step=step, policy=policy, counted=True
        )
        await factors.device_code_passed(session)
    assert made is not None  # with its try counted, a set-up is finished or refused
    authenticator, first, recovery = made
    forget_qr(setup.id)
    setup.status = SetupStatus.VERIFIED
    await _setup_changed(context, setup)
    await user_changed(context, user.id)
    return types.SubmitCodePayload(
        authenticator=types.Authenticator.of(authenticator),
        message=SET_UP_MESSAGE if first else ADDED_MESSAGE,
        recovery_codes=recovery,
        setup=setup_view(setup, user, context.keyring, context.settings.issuer),
    )


# The new authenticator (its id once stored), whether it is the user's first, the recovery codes to show.
_Finished = tuple[Authenticator, bool, list[str] | None]


async def _finish_setup(
    context: RequestContext,
    session: Session,
    user: User,
    setup: Setup,
    *,
    name: str,
    step: int,
    policy: Policy,
    counted: bool,
) -> _Finished | None:
    """Create the authenticator of a set-up whose code was right (`complete_setup`), with its
    refusals as answers. None when its try was not counted and the set-up or the user changed
    since they were read (the caller then counts the try like any other)."""
    method = Method(setup.method)
    moment = now()
    # Made beforehand; stored and shown only if this turns out to be the user's first factor.
    recovery = codes.new_recovery_codes() if policy.recovery_codes_enabled else None
    assert recovery is None or len(recovery) == RECOVERY_CODE_COUNT
    done = await complete_setup(
        setup_id=setup.id,
        user_id=user.id,
        session_id=session.id,
        session_state=SessionState(session.state),
        new=NewAuthenticator(
            method=method,
            name=name,
            name_key=name_key(name),
            email=user.email if method == Method.EMAIL else None,
            secret_encrypted=setup.secret_encrypted,
            last_step=step if method == Method.APP else -1,
        ),
        counted=counted,
        tries=ATTEMPTS_PER_VERIFICATION,
        recovery_digests=[factors.recovery_digest(context.keyring, user.id, c) for c in recovery] if recovery else None,
        moment=moment,
        full_session_expires_at=moment + SESSION_LIFETIME,
        challenge_expires_at=moment + PENDING_SESSION_LIFETIME,
        audit=audit_note(
            context, "authenticator.added", target_id=user.id, method=str(setup.method), setup_id=str(setup.id)
        ),
        notice=notice_message(
            context, user, messages.authenticator_added(user.email, name, METHOD_LABELS[method]), "authenticator_added"
        ),
    )
    if isinstance(done, CompletedSetup):
        for challenged in done.challenged_session_ids:
            # Their subscriptions end; their next request meets the challenge.
            await publish(context, session_channel(challenged), {"type": "ended"})
        return done.authenticator, done.first, recovery if done.first else None
    if not counted and done in (SetupNotCompleted.SETUP_NOT_OPEN, SetupNotCompleted.USER_WAITS):
        return None
    # The code was right, whatever else stopped the set-up: the failures in a row end.
    await factors.user_succeeded(user.id)
    if done == SetupNotCompleted.OUTDATED_SESSION:
        await Session.filter(id=session.id).delete()
        await audit(context, "session.ended_outdated_setup", target_id=user.id)
        raise unauthenticated("Two-factor authentication was set up from another session: sign in again.")
    if done == SetupNotCompleted.NAME_TAKEN:
        raise _name_taken()
    raise factors.setup_ended()


async def _fail_setup(context: RequestContext, setup: Setup, user: User, attempts_left: int) -> Refused:
    """A wrong code at set-up: lock the set-up at the limit; the answer to give."""
    if attempts_left <= 0:
        await lock_setup(setup.id)
        await audit(context, "setup.locked", target_id=user.id, setup_id=str(setup.id))
        await _setup_changed(context, setup)
        return factors.setup_locked(attempts_left=0)
    await note_setup_changed(setup.id)
    await audit(context, "setup.code_failed", target_id=user.id, setup_id=str(setup.id))
    await _setup_changed(context, setup)
    return factors.invalid_code(attempts_left)


async def cancel_setup(context: RequestContext, setup_id: str) -> types.SetupPayload:
    """End a set-up; its secret or code stops working."""
    _, user = require(context, SETTING_UP)
    setup = await _own_setup(user, setup_id)
    if await cancel_open_setup(setup.id):
        await audit(context, "setup.cancelled", target_id=user.id, setup_id=str(setup.id))
        forget_qr(setup.id)
        await _setup_changed(context, setup)
    await setup.refresh_from_db()
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


async def edit(context: RequestContext, authenticator_id: str, name: str) -> types.AuthenticatorPayload:
    """'Edit': rename one of the user's authenticators."""
    _, user = require(context, FULL)
    read = authenticators_read(context)
    row = await own_authenticator(user, authenticator_id, read=read)
    clean = await _name_or_refuse(user, name, except_id=row.id, read=read)
    old = row.name
    renamed = audit_note(
        context, "authenticator.renamed", target_id=user.id, authenticator_id=row.id, old_name=old, new_name=clean
    )
    if not await account.rename_authenticator(row.id, clean, name_key(clean), renamed):
        raise _name_taken()
    row.name = clean
    await user_changed(context, user.id)
    return types.AuthenticatorPayload(authenticator=types.Authenticator.of(row))


async def require_fresh_factor(context: RequestContext, session: Session, user: User, code: str | None) -> bool:
    """Pass when the session proved a factor within the window, or `code` proves one now.

    True when a recovery code was spent: the caller tells the user once its change is made.
    """
    proved_at = session.second_factor_at
    if proved_at is not None and now() - proved_at <= context.settings.fresh_factor_window:
        return False
    if code is None:
        raise Refused(
            ErrorCode.FRESH_CODE_REQUIRED,
            "Confirm with a current code from one of your authenticators (or a recovery code).",
            field="code",
        )
    proof = await prove_fresh_factor(context, session, user, code)
    if proof is None:
        raise factors.invalid_code(None)
    return proof == "recovery code"


async def notify_recovery_code_used(context: RequestContext, user: User) -> None:
    """Mail the user that a recovery code was used, with how many are left now."""
    remaining = await attempts.recovery_codes_left(user.id)
    await queue_message(
        notice_message(context, user, messages.recovery_codes_used(user.email, remaining), "recovery_code_used")
    )
    wake_mail(context)


async def _require_fresh_to_add(context: RequestContext, session: Session, user: User, code: str | None) -> None:
    """Adding a factor to an account that has one needs a fresh factor, as removing one does.

    Otherwise a stale (or stolen) session could enroll its own device, and with that
    device's codes remove the user's.
    """
    if session.state != SessionState.DONE:
        return
    read = authenticators_read(context)
    if not (read if read is not None else await Authenticator.filter(user_id=user.id).exists()):
        return
    if await require_fresh_factor(context, session, user, code):
        await notify_recovery_code_used(context, user)


async def prove_fresh_factor(context: RequestContext, session: Session, user: User, code: str) -> str | None:
    """A current code from any of the user's authenticators, or a recovery code: which one proved it."""
    give_back = await factors.reserve_code_check(session, user)
    normalized = codes.normalize_code(code)
    policy = await Policy.current()
    proved = by_recovery_code = False
    if normalized is not None:
        for candidate in await Authenticator.filter(user_id=user.id):
            if not method_enabled(policy, Method(candidate.method)):
                continue  # a method administrators turned off proves nothing, here as at sign-in
            if candidate.method == Method.APP:
                try:
                    proved = await factors.claim_totp(context, candidate, normalized)
                except factors.CodeAlreadyUsed as used:
                    # A right code used before: it costs no try, and gets its own answer.
                    await give_back()
                    raise used.refused from None
            else:
                proved = await factors.claim_email_code(context.keyring, session, candidate, normalized)
            if proved:
                break
    elif policy.recovery_codes_enabled:
        if await factors.recovery_code_minted_by(context.keyring, user.id, code, session.id):
            await audit(context, "session.factor_refresh_failed", target_id=user.id, reason="own_recovery_code")
            raise _own_recovery_code()
        proved = by_recovery_code = await factors.claim_recovery_code(
            context.keyring, user.id, code, not_minted_by=session.id
        )
    if proved:
        await factors.code_check_passed(session, user)
        session.second_factor_at = now()
        await Session.filter(id=session.id).update(second_factor_at=session.second_factor_at)
        await audit(context, "session.factor_refreshed", target_id=user.id)
        return "recovery code" if by_recovery_code else "code"
    await audit(context, "session.factor_refresh_failed", target_id=user.id)
    return None


def _own_recovery_code() -> Refused:
    # Else a session could mint codes and confirm its own changes with them (a stolen session
    # would need no factor at all).
    return Refused(
        ErrorCode.FRESH_CODE_REQUIRED,
        "Recovery codes shown to this session cannot confirm its changes: "
        "use a current code from one of your authenticators.",
        field="code",
    )


@audits_waits
async def remove(context: RequestContext, authenticator_id: str, code: str | None) -> types.RemovePayload:
    """Remove an authenticator: with a fresh factor, and never the last one while 2FA is mandatory."""
    session, user = require(context, FULL)
    row = await own_authenticator(user, authenticator_id)
    policy = await Policy.current()
    remaining = await Authenticator.filter(user_id=user.id).exclude(id=row.id).count()
    if policy.mandatory and remaining == 0:
        raise _last_authenticator()
    used_recovery_code = await require_fresh_factor(context, session, user, code)
    removed = await account.remove_authenticator(
        user_id=user.id,
        authenticator_id=row.id,
        keep_session_id=session.id,
        mandatory=policy.mandatory,
        audit=audit_note(
            context,
            "authenticator.removed",
            target_id=user.id,
            authenticator_id=row.id,
            method=str(row.method),
            name=row.name,
        ),
        notice=notice_message(
            context,
            user,
            messages.authenticator_removed(user.email, row.name, METHOD_LABELS[Method(row.method)]),
            "authenticator_removed",
        ),
    )
    if removed == account.NotRemoved.NOT_FOUND:
        raise Refused(ErrorCode.NOT_FOUND, "There is no such authenticator.", field="id")
    if removed == account.NotRemoved.LAST_AUTHENTICATOR:
        raise _last_authenticator()
    assert isinstance(removed, account.Removed)
    ended = removed.ended_session_ids
    for session_id in ended:
        await publish(context, session_channel(session_id), {"type": "ended"})
    if used_recovery_code:
        await notify_recovery_code_used(context, user)  # after the removal: the count left is final
    await user_changed(context, user.id)
    return types.RemovePayload(removed_id=strawberry.ID(str(row.id)))


@audits_waits
async def regenerate_recovery_codes(context: RequestContext, code: str | None = None) -> types.RecoveryCodesPayload:
    """A new set of recovery codes, with a fresh factor as for a removal; the old set stops working."""
    session, user = require(context, FULL)
    if not (await Policy.current()).recovery_codes_enabled:
        raise Refused(ErrorCode.METHOD_DISABLED, "Recovery codes are turned off.")
    if not await Authenticator.filter(user_id=user.id).exists():
        raise Refused(ErrorCode.INVALID_INPUT, "Set up two-factor authentication first.")
    # New codes are a factor: a session that could mint them without one could mint its way in.
    used_recovery_code = await require_fresh_factor(context, session, user, code)

    new = codes.new_recovery_codes()
    digests = [factors.recovery_digest(context.keyring, user.id, c) for c in new]

    await account.regenerate_recovery_codes(
        user_id=user.id,
        digests=digests,
        minted_by_session_id=session.id,
        audit=audit_note(context, "recovery_codes.regenerated", target_id=user.id),
        notice=notice_message(
            context, user, messages.recovery_codes_regenerated(user.email), "recovery_codes_regenerated"
        ),
    )
    if used_recovery_code:
        await notify_recovery_code_used(context, user)  # after the new set: the count left is final
    await user_changed(context, user.id)
    return types.RecoveryCodesPayload(recovery_codes=new)
