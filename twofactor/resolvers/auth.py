"""Signing in: password, then a second factor (or a set-up when 2FA is mandatory), and out."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from twofactor.mail import messages
from twofactor.mail.outbox import outbox_message
from twofactor.models import (
    KnownDevice,
    Method,
    Policy,
    Session,
    SessionState,
    User,
    attempts,
    devices,
    throttles,
)
from twofactor.models.bounds import end_sessions_beyond
from twofactor.models.mail_queue import queue_message
from twofactor.models.request_reads import authenticators_and_codes_left, email_challenge_of, user_by_email
from twofactor.models.sessions import end_session, insert_session
from twofactor.resolvers import code_checks
from twofactor.resolvers.api_objects import challenge_choices, method_enabled
from twofactor.resolvers.authenticators import authenticators_read, own_authenticator
from twofactor.resolvers.ids import storable_text
from twofactor.resolvers.notices import (
    audit,
    audit_note,
    audits_waits,
    notice_message,
    publish,
    seconds_until,
    session_channel,
    wake_mail,
)
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused, Wait, unauthenticated
from twofactor.security import codes, passwords, tokens
from twofactor.security.rules import (
    DEVICE_LIFETIME,
    DEVICE_LOGIN_FAILURES,
    DEVICES_PER_USER,
    EMAIL_CODE_LIFETIME,
    LOGIN_ADDRESS_STREAK_LIFETIME,
    LOGIN_FAILURES_BEFORE_WAIT,
    LOGIN_FAILURES_BEFORE_WAIT_PER_ADDRESS,
    LOGIN_STREAK_LIFETIME,
    MAX_PENDING_SESSIONS_PER_USER,
    MAX_SESSIONS_PER_USER,
    PENDING_SESSION_LIFETIME,
    PROVEN_DEVICES_PER_USER,
    RESEND_COOLDOWN,
    SESSION_LIFETIME,
)
from twofactor.security.throttle import login_wait_after
from twofactor.server.auth import CHALLENGE, FULL, require
from twofactor.server.context import DEVICE_COOKIE, SESSION_COOKIE, RequestContext, now, origin_allowed

_CHALLENGE_OR_FULL = CHALLENGE | FULL
_INVALID_CREDENTIALS = "The email or password is not right."


def _throttle_keys(context: RequestContext, email: str) -> list[tuple[str, int, timedelta]]:
    # The account key is an HMAC under the deployment's key: the throttle table does not tell
    # who tried to sign in, even to someone who guesses addresses. After a key rotation the
    # old rows name nobody and expire with their streak.
    account = codes.code_digest(context.keyring.digest_key, "login-throttle", email)[:40]
    keys = [(f"account:{account}", LOGIN_FAILURES_BEFORE_WAIT, LOGIN_STREAK_LIFETIME)]
    if context.ip:
        keys.append((f"address:{context.ip}", LOGIN_FAILURES_BEFORE_WAIT_PER_ADDRESS, LOGIN_ADDRESS_STREAK_LIFETIME))
    return keys


async def _reserve_login(key: str, free: int, streak: timedelta, moment: datetime) -> None:
    """Count a failure for `key` before checking the password (forgiven on success);
    RATE_LIMITED while the key waits after too many."""
    try:
        until = await throttles.reserve_login_failure(
            key, moment, streak, partial(login_wait_after, free=free), free=free
        )
    except throttles.LoginBusy:
        busy = "Too many sign-in attempts at once. Try again."
        raise Refused(ErrorCode.RATE_LIMITED, busy, retry_after_seconds=1) from None
    if until is not None:
        raise Refused(
            ErrorCode.RATE_LIMITED,
            "Too many sign-in attempts. Wait before trying again.",
            retry_after_seconds=seconds_until(until),
            wait=Wait("login.throttled", f"login:{key}", until, None),
        )


def _presented_device_token(context: RequestContext, device_token: str | None) -> str | None:
    """The device token the client sent: the argument, else the same-site cookie."""
    if device_token is None and origin_allowed(context.connection, context.settings):
        device_token = context.connection.cookies.get(DEVICE_COOKIE)
    if not device_token or len(device_token) > 200 or not device_token.isascii():
        return None
    return device_token


async def _known_device(user: User | None, token: str | None, moment: datetime) -> KnownDevice | None:
    """The user's device this token names, if it may still sign in on its own allowance."""
    if user is None or token is None:
        return None
    device = await devices.known_device(user.id, tokens.token_hash(token), moment, DEVICE_LIFETIME)
    if device is None or not await devices.reserve_device_login_failure(device, DEVICE_LOGIN_FAILURES):
        return None  # unknown, expired, or failed too often: it signs in like any other client
    return device


def _set_cookie(context: RequestContext, token: str, lifetime: timedelta, name: str = SESSION_COOKIE) -> None:
    """An HttpOnly, same-site-only cookie (Secure in production): the session's, or the device's."""
    if context.response is not None:
        context.response.set_cookie(
            name,
            token,
            max_age=int(lifetime.total_seconds()),
            httponly=True,
            secure=context.settings.secure_cookies,
            samesite="strict",
            path="/",
        )


async def _start_session(
    context: RequestContext, user: User, state: SessionState, device: KnownDevice, trusted: bool
) -> str:
    token = tokens.new_token()
    lifetime = SESSION_LIFETIME if state == SessionState.DONE else PENDING_SESSION_LIFETIME
    moment = now()
    session = Session(
        token_hash=tokens.token_hash(token),
        user_id=user.id,
        state=state,
        created_at=moment,
        expires_at=moment + lifetime,
        ip=context.ip,
        user_agent=(context.user_agent or "")[:300] or None,
        failed_attempts=0,
        device_id=device.id,
        trusted_device=trusted,
    )
    await insert_session(session)
    session.user = user
    await _end_sessions_over_cap(context, user)
    context.session, context.user = session, user
    _set_cookie(context, token, lifetime)
    return token


async def _end_sessions_over_cap(context: RequestContext, user: User) -> None:
    """A sign-in beyond the per-user caps ends the user's oldest sessions (of its kind), not itself."""
    ended = await end_sessions_beyond(user.id, done=MAX_SESSIONS_PER_USER, pending=MAX_PENDING_SESSIONS_PER_USER)
    if ended:
        await audit(context, "session.ended_over_cap", target_id=user.id, actor_id=user.id, sessions_ended=len(ended))
    for session_id in ended:
        await publish(context, session_channel(session_id), {"type": "ended"})


@audits_waits
async def login(
    context: RequestContext, email: str, password: str, device_token: str | None = None
) -> types.LoginPayload:
    """Password first; the answer says what the session must do next.

    A device that signed in to this account before (its token, as a cookie or `device_token`)
    counts wrong passwords on its own allowance; every other client counts on the account's
    and its address's, which slow a guesser down with a growing wait.
    """
    if not (storable_text(email) and storable_text(password)):
        # No account has such an address or password; PostgreSQL could not even compare it.
        raise Refused(ErrorCode.INVALID_CREDENTIALS, _INVALID_CREDENTIALS)
    address = email.strip().lower()
    user = await user_by_email(address) if len(address) <= 254 else None
    moment = now()
    presented = _presented_device_token(context, device_token)
    device = await _known_device(user, presented, moment)
    keys = [] if device is not None else _throttle_keys(context, address)
    for key, free, streak in keys:
        await _reserve_login(key, free, streak, moment)
    ok = await passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        await audit(context, "login.failed", target_id=user.id if user else None)
        raise Refused(ErrorCode.INVALID_CREDENTIALS, _INVALID_CREDENTIALS)
    if device is not None and presented is not None:
        await devices.device_signed_in(device, moment)
        device_token = presented
        trusted = device.second_factor_at is not None
    else:
        await throttles.forget_login_failures(keys[0][0])
        for key, _, _ in keys[1:]:
            await throttles.give_back_login_failure(key)
        device_token = tokens.new_token()
        device = await devices.remember_device(
            user.id,
            tokens.token_hash(device_token),
            moment,
            keep=DEVICES_PER_USER,
            keep_proven=PROVEN_DEVICES_PER_USER,
            lifetime=DEVICE_LIFETIME,
        )
        trusted = False

    policy = await Policy.current()
    authenticators, _ = await authenticators_and_codes_left(user.id)
    usable = [a for a in authenticators if method_enabled(policy, Method(a.method))]
    if authenticators:
        # Even when administrators turned off every method this user has, the password
        # alone must not do: a recovery code (or an administrator's reset) gets them in.
        state = SessionState.CHALLENGE
    elif policy.mandatory:
        state = SessionState.SETUP
    else:
        state = SessionState.DONE
    token = await _start_session(context, user, state, device, trusted)
    _set_cookie(context, device_token, DEVICE_LIFETIME, DEVICE_COOKIE)
    await audit(
        context, "login.password_ok", target_id=user.id, next_step=str(state), known_device=device_token == presented
    )
    assert context.session is not None
    return types.LoginPayload(
        token=token,
        device_token=device_token,
        session=types.Session.of(context.session, user),
        authenticators=challenge_choices(usable) if state == SessionState.CHALLENGE else None,
    )


async def logout(context: RequestContext) -> types.LogoutPayload:
    """End the session (also its live subscriptions)."""
    session = context.session
    if context.response is not None:
        context.response.delete_cookie(SESSION_COOKIE, path="/")
    if session is None:
        return types.LogoutPayload(ok=False)
    await end_session(session.user_id, session.id)
    await audit(context, "logout", target_id=session.user_id)
    await publish(context, session_channel(session.id), {"type": "ended"})
    context.session = context.user = None
    return types.LogoutPayload(ok=True)


async def current_session(context: RequestContext) -> types.Session | None:
    """`session`: the current session, or null; at the challenge, with the authenticators to choose from."""
    session, user = context.session, context.user
    if session is None or user is None:
        return None
    found = types.Session.of(session, user)
    if session.state == SessionState.CHALLENGE:
        policy = await Policy.current()
        read = authenticators_read(context)
        rows = read if read is not None else (await authenticators_and_codes_left(user.id))[0]
        usable = [a for a in rows if method_enabled(policy, Method(a.method))]
        found.authenticators = challenge_choices(usable)
    return found


@audits_waits
async def send_login_code(context: RequestContext, authenticator_id: str) -> types.SendLoginCodePayload:
    """Mail a code for an EMAIL authenticator: at a sign-in challenge, or to confirm a removal."""
    session, user = require(context, _CHALLENGE_OR_FULL)
    row = await own_authenticator(user, authenticator_id, field="authenticatorId", read=authenticators_read(context))
    if row.method != Method.EMAIL:
        raise Refused(ErrorCode.INVALID_INPUT, "This authenticator does not use email.", field="authenticatorId")
    if not method_enabled(await Policy.current(), Method.EMAIL):
        raise Refused(ErrorCode.METHOD_DISABLED, "Email authentication is turned off.")
    moment = now()
    live = await email_challenge_of(session.id, row.id)
    # The cooldown spaces resends of this challenge only: the first code goes out at once.
    if live is not None and live.created_at + RESEND_COOLDOWN > moment:
        raise code_checks.cooling_down(live.created_at + RESEND_COOLDOWN, f"challenge:{session.id}:{row.id}", user.id)
    # A sign-in not from a device that passed a second factor before spends its own budget,
    # never the one the user's set-ups and confirmations use.
    unproven = session.state == SessionState.CHALLENGE and not session.trusted_device
    budget = code_checks.SIGN_IN_SENDS if unproven else code_checks.OWN_SENDS
    taken_at = await code_checks.claim_send(user.id, budget)
    code = codes.new_email_code()
    digest = codes.code_digest(context.keyring.digest_key, code_checks.challenge_purpose(session.id, row.id), code)
    expires = moment + EMAIL_CODE_LIFETIME
    purpose = "sign-in" if session.state == SessionState.CHALLENGE else "confirmation"
    minutes = int(EMAIL_CODE_LIFETIME.total_seconds() // 60)
    sent = await attempts.send_email_challenge(
        session_id=session.id,
        authenticator_id=row.id,
        replacing=live,
        code_digest=digest,
        moment=moment,
        expires_at=expires,
        code_mail=outbox_message(
            messages.login_code(row.email or user.email, code, minutes, purpose),
            kind="login_code",
            keyring=context.keyring,
            deliver_before=expires,
            user_id=user.id,
        ),
        audit=audit_note(context, "login.code_sent", target_id=user.id, authenticator_id=row.id),
    )
    if not sent:
        # A parallel request of this challenge sent its code first.
        await code_checks.give_back_send(user.id, budget, taken_at)
        raise code_checks.cooling_down(moment + RESEND_COOLDOWN, f"challenge:{session.id}:{row.id}", user.id)
    resend_at = moment + RESEND_COOLDOWN
    wake_mail(context)
    return types.SendLoginCodePayload(expires_at=expires, resend_available_at=resend_at)


async def challenge_attempt(context: RequestContext, session: Session, user: User) -> tuple[int, code_checks.GiveBack]:
    """Reserve one try of this challenge and a failure in a row; the tries left after a
    failure, and how to give them back."""
    try:
        # A user who must wait keeps the challenge's try: this request checked no code.
        return await code_checks.reserve_challenge_attempt(session, user)
    except Refused as refused:
        if refused.error.code == ErrorCode.TOO_MANY_ATTEMPTS:
            await _end_challenge(context, session, user)
        raise


async def _end_challenge(context: RequestContext, session: Session, user: User) -> None:
    # Parallel requests may all see the limit; the one that ends the session tells.
    if await attempts.end_session_at_challenge(session.id):
        await audit(context, "login.locked", target_id=user.id)
        await publish(context, session_channel(session.id), {"type": "ended"})


async def challenge_failed(context: RequestContext, session: Session, user: User, left: int, how: str) -> Refused:
    """A wrong answer at the challenge: on the record; the challenge ends with its last try."""
    await audit(context, "login.factor_failed", target_id=user.id, method=how)
    if left <= 0:
        await _end_challenge(context, session, user)
        return Refused(ErrorCode.TOO_MANY_ATTEMPTS, "Too many wrong codes. Sign in again.", attempts_left=0)
    return code_checks.invalid_code(left)


async def challenge_passed(context: RequestContext, session: Session, user: User, how: str) -> types.VerifyLoginPayload:
    """A second factor (`how`) passed at the challenge: the sign-in completes under a new token,
    and the device it came from counts its own wrong codes from now on."""
    moment = now()
    token = tokens.new_token()
    passed = await attempts.pass_challenge(
        session_id=session.id,
        user_id=user.id,
        device_id=session.device_id,
        token_hash=tokens.token_hash(token),
        moment=moment,
        expires_at=moment + SESSION_LIFETIME,
        audit=audit_note(context, "login.factor_passed", target_id=user.id, method=how),
    )
    if not passed:
        raise unauthenticated("This sign-in was ended meanwhile: sign in again.")
    return _signed_in(context, session, user, moment, token)


def _signed_in(
    context: RequestContext, session: Session, user: User, moment: datetime, token: str
) -> types.VerifyLoginPayload:
    # What the UPDATE wrote, without reading the row back (the "last seen" the request owed too).
    session.state, session.second_factor_at, session.expires_at = SessionState.DONE, moment, moment + SESSION_LIFETIME
    session.last_seen_at, context.seen_owed = moment, None
    session.token_hash = tokens.token_hash(token)
    _set_cookie(context, token, SESSION_LIFETIME)
    return types.VerifyLoginPayload(token=token, session=types.Session.of(session, user))


@audits_waits
async def verify_login(context: RequestContext, authenticator_id: str, code: str) -> types.VerifyLoginPayload:
    """A code from one of the user's authenticators finishes the sign-in."""
    session, user = require(context, CHALLENGE)
    row = await own_authenticator(user, authenticator_id, field="authenticatorId", read=authenticators_read(context))
    if not method_enabled(await Policy.current(), Method(row.method)):
        raise Refused(ErrorCode.METHOD_DISABLED, "This method is turned off.", field="authenticatorId")
    if row.method == Method.SECURITY_KEY:
        raise Refused(ErrorCode.INVALID_INPUT, "A security key signs in with verifyLoginWithSecurityKey.", field="code")
    normalized = codes.normalize_code(code)
    if normalized is None:
        raise Refused(ErrorCode.INVALID_INPUT, "A code is 6 digits.", field="code")
    if row.method == Method.APP:
        step = code_checks.totp_step(context, row, normalized)
        first = await code_checks.count_try_and_claim(session, user, row, step)
        left, give_back = first.counted or await challenge_attempt(context, session, user)
        if step is None:
            raise await challenge_failed(context, session, user, left, str(row.method))
        claimed = first.claimed if first.claimed is not None else await code_checks.claim_totp_step(row, step)
        if not claimed:
            # A right code used before: no try spent, its own answer; the guard is unchanged.
            used = await code_checks.code_already_used(context, row, step)
            await give_back()
            raise used.refused
        return await challenge_passed(context, session, user, str(row.method))
    left, give_back = await challenge_attempt(context, session, user)
    if not await code_checks.claim_email_code(context.keyring, session, row, normalized):
        raise await challenge_failed(context, session, user, left, str(row.method))
    return await challenge_passed(context, session, user, str(row.method))


@audits_waits
async def verify_login_with_recovery_code(context: RequestContext, code: str) -> types.VerifyLoginPayload:
    """A recovery code finishes the sign-in; each works once."""
    session, user = require(context, CHALLENGE)
    if not (await Policy.current()).recovery_codes_enabled:
        raise Refused(ErrorCode.METHOD_DISABLED, "Recovery codes are turned off.")
    if codes.normalize_recovery_code(code) is None:
        raise Refused(ErrorCode.INVALID_INPUT, "A recovery code has 10 letters and digits.", field="code")
    left, _ = await challenge_attempt(context, session, user)
    if not await code_checks.claim_recovery_code(context.keyring, user.id, code):
        raise await challenge_failed(context, session, user, left, "RECOVERY_CODE")
    remaining = await attempts.recovery_codes_left(user.id)
    await queue_message(
        notice_message(context, user, messages.recovery_codes_used(user.email, remaining), "recovery_code_used")
    )
    wake_mail(context)
    return await challenge_passed(context, session, user, "RECOVERY_CODE")
