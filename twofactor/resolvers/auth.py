"""Signing in: password, then a second factor (or a set-up when 2FA is mandatory), and out."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from twofactor.mail import messages
from twofactor.mail.outbox import enqueue
from twofactor.models import (
    Authenticator,
    EmailChallenge,
    LoginThrottle,
    Method,
    Policy,
    RecoveryCode,
    Session,
    SessionState,
    User,
    plain_sql,
)
from twofactor.models.bounds import end_sessions_beyond
from twofactor.models.hot_reads import authenticators_and_codes_left, user_by_email
from twofactor.resolvers import factors
from twofactor.resolvers.common import (
    AUDIT_COLUMNS,
    AUDIT_INSERT,
    audit,
    audit_values,
    audits_waits,
    publish,
    seconds_until,
    send_notice,
    session_channel,
    wake_mail,
)
from twofactor.resolvers.my_two_factor import authenticators_read, own_authenticator
from twofactor.resolvers.views import challenge_choices, method_enabled
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused, Wait
from twofactor.security import codes, passwords, tokens
from twofactor.security.rules import (
    EMAIL_CODE_LIFETIME,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_WINDOW,
    MAX_PENDING_SESSIONS_PER_USER,
    MAX_SESSIONS_PER_USER,
    PENDING_SESSION_LIFETIME,
    SESSION_LIFETIME,
)
from twofactor.server.auth import CHALLENGE, FULL, require
from twofactor.server.context import SESSION_COOKIE, RequestContext, now

_CHALLENGE_OR_FULL = CHALLENGE | FULL
_INVALID_CREDENTIALS = "The email or password is not right."


def _storable(text: str) -> bool:
    """Text that UTF-8 can encode (no lone surrogates), without NUL (PostgreSQL refuses it)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _throttle_keys(context: RequestContext, email: str) -> list[tuple[str, int]]:
    # The account key is a hash: the throttle table should not list who tried to sign in.
    account = hashlib.sha256(email.encode()).hexdigest()[:40]
    keys = [(f"account:{account}", LOGIN_FAILURES_PER_ACCOUNT)]
    if context.ip:
        keys.append((f"address:{context.ip}", LOGIN_FAILURES_PER_ADDRESS))
    return keys


async def _reserve_login(key: str, limit: int) -> None:
    """Count a failure for `key` before checking the password (forgiven on success)."""
    moment = now()
    if await plain_sql.execute(
        'UPDATE "login_throttles" SET "failures" = "failures" + 1 '
        'WHERE "key" = ? AND "window_start" > ? AND "failures" < ?',
        key,
        moment - LOGIN_WINDOW,
        limit,
    ):
        return
    # No row yet, or its window is over: start a new one.
    if await plain_sql.execute(
        'INSERT INTO "login_throttles" ("key", "window_start", "failures") VALUES (?, ?, 1) ON CONFLICT DO NOTHING',
        key,
        moment,
    ):
        return
    if await plain_sql.execute(
        'UPDATE "login_throttles" SET "window_start" = ?, "failures" = 1 WHERE "key" = ? AND "window_start" <= ?',
        moment,
        key,
        moment - LOGIN_WINDOW,
    ):
        return
    row = await LoginThrottle.get(key=key)
    raise Refused(
        ErrorCode.RATE_LIMITED,
        "Too many sign-in attempts. Wait before trying again.",
        retry_after_seconds=seconds_until(row.window_start + LOGIN_WINDOW),
        wait=Wait("login.throttled", f"login:{key}", row.window_start + LOGIN_WINDOW, None),
    )


def _set_cookie(context: RequestContext, token: str, lifetime: timedelta) -> None:
    if context.response is not None:
        context.response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(lifetime.total_seconds()),
            httponly=True,
            secure=context.settings.secure_cookies,
            samesite="strict",
            path="/",
        )


async def _start_session(context: RequestContext, user: User, state: SessionState) -> str:
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
    )
    ((session.id,),) = await plain_sql.fetch(
        'INSERT INTO "sessions" ("token_hash", "user_id", "state", "created_at", "expires_at", "failed_attempts", '
        '"ip", "user_agent") VALUES (?, ?, ?, ?, ?, 0, ?, ?) RETURNING "id"',
        session.token_hash,
        user.id,
        str(state),
        moment,
        session.expires_at,
        session.ip,
        session.user_agent,
    )
    session._saved_in_db = True
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
async def login(context: RequestContext, email: str, password: str) -> types.LoginPayload:
    """Password first; the answer says what the session must do next."""
    if not (_storable(email) and _storable(password)):
        # No account has such an address or password; PostgreSQL could not even compare it.
        raise Refused(ErrorCode.INVALID_CREDENTIALS, _INVALID_CREDENTIALS)
    address = email.strip().lower()
    keys = _throttle_keys(context, address)
    for key, limit in keys:
        await _reserve_login(key, limit)
    user = await user_by_email(address) if len(address) <= 254 else None
    ok = await passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        await audit(context, "login.failed", target_id=user.id if user else None)
        raise Refused(ErrorCode.INVALID_CREDENTIALS, _INVALID_CREDENTIALS)
    await plain_sql.execute('DELETE FROM "login_throttles" WHERE "key" = ?', keys[0][0])
    for key, _ in keys[1:]:
        await plain_sql.execute(
            'UPDATE "login_throttles" SET "failures" = "failures" - 1 WHERE "key" = ? AND "failures" > 0', key
        )

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
    token = await _start_session(context, user, state)
    await audit(context, "login.password_ok", target_id=user.id, next_step=str(state))
    assert context.session is not None
    return types.LoginPayload(
        token=token,
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
    await Session.filter(id=session.id).delete()
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
    row = await own_authenticator(user, authenticator_id, field="authenticatorId")
    if row.method != Method.EMAIL:
        raise Refused(ErrorCode.INVALID_INPUT, "This authenticator does not use email.", field="authenticatorId")
    if not method_enabled(await Policy.current(), Method.EMAIL):
        raise Refused(ErrorCode.METHOD_DISABLED, "Email authentication is turned off.")
    resend_at = await factors.claim_send(user.id)
    code = codes.new_email_code()
    digest = codes.code_digest(context.keyring.digest_key, factors.challenge_purpose(session.id, row.id), code)
    expires = now() + EMAIL_CODE_LIFETIME
    purpose = "sign-in" if session.state == SessionState.CHALLENGE else "confirmation"
    async with in_transaction() as connection:
        # A resend replaces the code: one live code per session and authenticator.
        await EmailChallenge.filter(session_id=session.id, authenticator_id=row.id).using_db(connection).delete()
        await EmailChallenge.create(
            session_id=session.id, authenticator_id=row.id, code_digest=digest, expires_at=expires, using_db=connection
        )
        minutes = int(EMAIL_CODE_LIFETIME.total_seconds() // 60)
        await enqueue(
            messages.login_code(row.email or user.email, code, minutes, purpose),
            kind="login_code",
            keyring=context.keyring,
            deliver_before=expires,
            user_id=user.id,
            connection=connection,
        )
        await audit(context, "login.code_sent", target_id=user.id, connection=connection, authenticator_id=row.id)
    wake_mail(context)
    return types.SendLoginCodePayload(expires_at=expires, resend_available_at=resend_at)


async def _challenge_attempt(context: RequestContext, session: Session, user: User) -> int:
    """Reserve one try of this challenge and of the user; the tries left after a failure."""
    try:
        # A user who must wait keeps the challenge's try: this request checked no code.
        return await factors.reserve_session_and_user_attempt(session, user)
    except Refused as refused:
        if refused.error.code == ErrorCode.TOO_MANY_ATTEMPTS:
            await _end_challenge(context, session, user)
        raise


async def _end_challenge(context: RequestContext, session: Session, user: User) -> None:
    # Parallel requests may all see the limit; the one that ends the session tells.
    if await Session.filter(id=session.id).delete():
        await audit(context, "login.locked", target_id=user.id)
        await publish(context, session_channel(session.id), {"type": "ended"})


async def _failed(context: RequestContext, session: Session, user: User, left: int, how: str) -> Refused:
    await audit(context, "login.factor_failed", target_id=user.id, method=how)
    if left <= 0:
        await _end_challenge(context, session, user)
        return Refused(ErrorCode.TOO_MANY_ATTEMPTS, "Too many wrong codes. Sign in again.", attempts_left=0)
    return factors.invalid_code(left)


# Passing the challenge gives the session a new token: the password-only one stops working.
_SESSION_DONE = (
    'UPDATE "sessions" SET "state" = ?, "second_factor_at" = ?, "expires_at" = ?, "token_hash" = ? WHERE "id" = ?'
)


async def _passed(context: RequestContext, session: Session, user: User, how: str) -> types.VerifyLoginPayload:
    moment = now()
    token = tokens.new_token()
    done = (str(SessionState.DONE), moment, moment + SESSION_LIFETIME, tokens.token_hash(token), session.id)
    audited = audit_values(context, "login.factor_passed", target_id=user.id, method=how)
    if plain_sql.is_sqlite():
        await plain_sql.execute(_SESSION_DONE, *done)
        await factors.user_succeeded(user.id)
        await plain_sql.execute(AUDIT_INSERT, *audited)
    else:
        # One round trip instead of three: each costs more CPU than the rest of the request.
        await plain_sql.execute(
            f"WITH s AS ({_SESSION_DONE}), u AS ({factors.USER_SUCCEEDED}) {AUDIT_INSERT}",
            *done,
            user.id,
            *audited,
        )
    return _signed_in(context, session, user, moment, token)


def _signed_in(
    context: RequestContext, session: Session, user: User, moment: datetime, token: str
) -> types.VerifyLoginPayload:
    # What the UPDATE wrote, without reading the row back.
    session.state, session.second_factor_at, session.expires_at = SessionState.DONE, moment, moment + SESSION_LIFETIME
    session.token_hash = tokens.token_hash(token)
    _set_cookie(context, token, SESSION_LIFETIME)
    return types.VerifyLoginPayload(token=token, session=types.Session.of(session, user))


# The audit row of `AUDIT_INSERT`, written only when the statement's claim `c` matched;
# the casts tell PostgreSQL the parameters' types (a SELECT list has no target columns).
_AUDIT_IF_CLAIMED = (
    f'INSERT INTO "audit_events" ({AUDIT_COLUMNS}) '  # noqa: S608 - constants only
    "SELECT ?::timestamptz, ?::varchar, ?::int, ?::int, ?::varchar, ?::varchar, ?::jsonb WHERE EXISTS (SELECT 1 FROM c)"
)


async def _claim_step_and_pass(
    context: RequestContext, session: Session, user: User, authenticator: Authenticator, step: int
) -> types.VerifyLoginPayload | None:
    """PostgreSQL: claim the app code's time step and finish the sign-in in one statement.

    Each round trip costs more CPU than the rest of the request; data-modifying CTEs that
    read the claim's RETURNING run only when it matched. None: the step was used before.
    """
    moment = now()
    token = tokens.new_token()
    audited = audit_values(context, "login.factor_passed", target_id=user.id, method=str(Method.APP))
    claimed = await plain_sql.fetch(
        f"WITH c AS ({factors.TOTP_CLAIM} RETURNING 1), "  # noqa: S608 - constants only
        f"s AS ({_SESSION_DONE} AND EXISTS (SELECT 1 FROM c)), "
        f"u AS ({factors.USER_SUCCEEDED} AND EXISTS (SELECT 1 FROM c)), "
        f"a AS ({_AUDIT_IF_CLAIMED}) "
        "SELECT COUNT(*) FROM c",
        *(step, moment, authenticator.id, step),
        *(str(SessionState.DONE), moment, moment + SESSION_LIFETIME, tokens.token_hash(token), session.id),
        user.id,
        *audited,
    )
    return _signed_in(context, session, user, moment, token) if claimed[0][0] else None


@audits_waits
async def verify_login(context: RequestContext, authenticator_id: str, code: str) -> types.VerifyLoginPayload:
    """A code from one of the user's authenticators finishes the sign-in."""
    session, user = require(context, CHALLENGE)
    row = await own_authenticator(user, authenticator_id, field="authenticatorId", read=authenticators_read(context))
    if not method_enabled(await Policy.current(), Method(row.method)):
        raise Refused(ErrorCode.METHOD_DISABLED, "This method is turned off.", field="authenticatorId")
    normalized = codes.normalize_code(code)
    if normalized is None:
        raise Refused(ErrorCode.INVALID_INPUT, "A code is 6 digits.", field="code")
    left = await _challenge_attempt(context, session, user)
    if row.method == Method.APP and not plain_sql.is_sqlite():
        step = factors.totp_step(context, row, normalized)
        passed = await _claim_step_and_pass(context, session, user, row, step) if step is not None else None
        if passed is not None:
            return passed
        if step is not None:
            await factors.replay_refused(context, row)
        raise await _failed(context, session, user, left, str(row.method))
    if row.method == Method.APP:
        ok = await factors.claim_totp(context, row, normalized)
    else:
        ok = await factors.claim_email_code(context.keyring, session, row, normalized)
    if not ok:
        raise await _failed(context, session, user, left, str(row.method))
    return await _passed(context, session, user, str(row.method))


@audits_waits
async def verify_login_with_recovery_code(context: RequestContext, code: str) -> types.VerifyLoginPayload:
    """A recovery code finishes the sign-in; each works once."""
    session, user = require(context, CHALLENGE)
    if not (await Policy.current()).recovery_codes_enabled:
        raise Refused(ErrorCode.METHOD_DISABLED, "Recovery codes are turned off.")
    if codes.normalize_recovery_code(code) is None:
        raise Refused(ErrorCode.INVALID_INPUT, "A recovery code has 10 letters and digits.", field="code")
    left = await _challenge_attempt(context, session, user)
    if not await factors.claim_recovery_code(context.keyring, user.id, code):
        raise await _failed(context, session, user, left, "RECOVERY_CODE")
    remaining = await RecoveryCode.filter(user_id=user.id, used_at__isnull=True).count()
    async with in_transaction() as connection:
        await send_notice(
            context, user, messages.recovery_codes_used(user.email, remaining), "recovery_code_used", connection
        )
    wake_mail(context)
    return await _passed(context, session, user, "RECOVERY_CODE")
