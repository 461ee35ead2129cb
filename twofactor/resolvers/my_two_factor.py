"""The 'Your 2FA' page: set up by app or email, submit the code, rename, remove, recovery codes."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

import strawberry
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from twofactor.mail import messages
from twofactor.mail.outbox import OUTBOX_INSERT, enqueue
from twofactor.models import (
    Authenticator,
    Method,
    OutboxMessage,
    OutboxStatus,
    Policy,
    RecoveryCode,
    Session,
    SessionState,
    Setup,
    SetupStatus,
    User,
    plain_sql,
)
from twofactor.models.bounds import open_setups
from twofactor.models.hot_reads import authenticator_of, setup_of
from twofactor.models.sessions import challenge_unproved_sessions, end_other_sessions
from twofactor.models.two_factor import OPEN_SETUP_STATUSES
from twofactor.resolvers import factors
from twofactor.resolvers.common import (
    AUDIT_COLUMNS,
    AUDIT_INSERT,
    audit,
    audit_values,
    audits_waits,
    lock_user,
    notice_row,
    publish,
    seconds_until,
    send_notice,
    session_channel,
    user_changed,
    user_channel,
    wake_mail,
)
from twofactor.resolvers.views import forget_qr, method_enabled, my_two_factor, setup_view
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
    clash = await plain_sql.fetch(
        'SELECT 1 FROM "authenticators" WHERE "user_id" = ? AND "name_key" = ? AND "id" <> ? LIMIT 1',
        user.id,
        name_key(name),
        -1 if except_id is None else except_id,
    )
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


async def read_my_two_factor(context: RequestContext) -> types.MyTwoFactor:
    """`myTwoFactor` query."""
    _, user = require(context, SETTING_UP)
    # A query changes nothing: the authenticators read with the session are current.
    return await my_two_factor(user, read=context.factors_read)


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
    async with in_transaction() as connection:
        await _require_room_for_setup(user, connection)
        await setup.save(using_db=connection)
        await audit(
            context, "setup.started", target_id=user.id, method="APP", setup_id=str(setup.id), connection=connection
        )
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
    async with in_transaction() as connection:
        await _require_room_for_setup(user, connection)
        await setup.save(using_db=connection)
        await _queue_setup_code(context, setup, code, connection)
        await audit(
            context, "setup.started", target_id=user.id, method="EMAIL", setup_id=str(setup.id), connection=connection
        )
    # After the commit: a worker woken earlier would not see the message yet and sleep a whole poll.
    wake_mail(context)
    await _setup_changed(context, setup)
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


async def _require_room_for_setup(user: User, connection: BaseDBAsyncClient | None = None) -> None:
    """RATE_LIMITED when the user has MAX_OPEN_SETUPS_PER_USER set-ups in progress.

    With `connection` (the transaction that adds the set-up), the user's row is locked first,
    so parallel requests count one after the other and cannot together pass the cap.
    """
    if connection is not None:
        await lock_user(user.id, connection)
    open_now = await open_setups(user.id, now(), connection)
    if len(open_now) >= MAX_OPEN_SETUPS_PER_USER:
        raise Refused(
            ErrorCode.RATE_LIMITED,
            f"You have {len(open_now)} set-ups in progress. Finish or cancel one before starting another.",
            retry_after_seconds=seconds_until(open_now[0].expires_at),
        )


async def _queue_setup_code(context: RequestContext, setup: Setup, code: str, connection: Any) -> None:
    minutes = int(EMAIL_CODE_LIFETIME.total_seconds() // 60)
    email = messages.setup_code(setup.email or "", setup.name or "", code, minutes)
    await enqueue(
        email,
        kind="setup_code",
        keyring=context.keyring,
        deliver_before=setup.expires_at,
        setup_id=setup.id,
        user_id=setup.user_id,
        connection=connection,
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
    try:
        async with in_transaction() as connection:
            # Still open and out of its cooldown (a parallel resend may have gone first).
            cooled = Q(resend_available_at__isnull=True) | Q(resend_available_at__lte=moment)
            changed = (
                await Setup.filter(cooled, id=setup.id, status__in=OPEN_SETUP_STATUSES)
                .using_db(connection)
                .update(
                    code_digest=digest,
                    status=SetupStatus.PENDING,
                    expires_at=expires,
                    resend_available_at=resend_at,
                    version=F("version") + 1,
                )
            )
            if not changed:
                raise _NotResent
            setup.expires_at, setup.status, setup.resend_available_at = expires, SetupStatus.PENDING, resend_at
            # The old code is dead: a mail still waiting with it would only confuse.
            not_in_flight = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now())
            await (
                OutboxMessage.filter(not_in_flight, setup_id=setup.id, status=OutboxStatus.PENDING)
                .using_db(connection)
                .update(status=OutboxStatus.FAILED, last_error="Superseded: a newer code was sent")
            )
            await _queue_setup_code(context, setup, code, connection)
            await audit(context, "setup.code_resent", target_id=user.id, setup_id=str(setup.id), connection=connection)
    except _NotResent:
        await factors.give_back_send(user.id, factors.OWN_SENDS, window)
        await setup.refresh_from_db(fields=["status", "resend_available_at"])
        if setup.status in OPEN_SETUP_STATUSES and setup.resend_available_at is not None:
            raise factors.cooling_down(setup.resend_available_at, f"setup:{setup.id}", user.id) from None
        raise Refused(ErrorCode.CODE_EXPIRED, "This set-up has ended. Start again.", field="setupId") from None
    wake_mail(context)
    await _setup_changed(context, setup)
    await setup.refresh_from_db()
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


class _NotResent(Exception):
    """The set-up ended, or a parallel resend went first: nothing was written."""


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
        made = await _complete(context, session, user, setup, name=final_name, step=step, policy=policy, counted=False)
    if made is None:
        # Any other answer waits for the try to be counted. A user who must wait keeps the
        # set-up's try (RATE_LIMITED), whether the code was right or not.
        attempts_left = await factors.reserve_setup_and_user_attempt(setup, user, session)
        if step is None:
            raise await _fail_setup(context, setup, user, attempts_left)
        made = await _complete(context, session, user, setup, name=final_name, step=step, policy=policy, counted=True)
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


class _OutdatedSetupSession(Exception):
    """A set-up-only session whose user has an authenticator now."""


class _NotAsRead(Exception):
    """A right code whose try was not counted found its set-up or its user changed since they
    were read (tries spent, the set-up ended, the user waits): nothing was written."""


async def _complete(
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
    """`_finish_setup`, with its refusals as answers; None when its try was not counted and
    the rows were not as read (`_NotAsRead`)."""
    try:
        return await _finish_setup(context, session, user, setup, name=name, step=step, policy=policy, counted=counted)
    except _NotAsRead:
        return None
    except (_OutdatedSetupSession, IntegrityError, Refused) as error:
        # The code was right, whatever else stopped the set-up: the failures in a row end.
        await factors.user_succeeded(user.id)
        if isinstance(error, _OutdatedSetupSession):
            await Session.filter(id=session.id).delete()
            await audit(context, "session.ended_outdated_setup", target_id=user.id)
            raise unauthenticated("Two-factor authentication was set up from another session: sign in again.") from None
        if isinstance(error, IntegrityError):
            # Another request created an authenticator with the same name first.
            raise _name_taken() from None
        raise


async def _fail_setup(context: RequestContext, setup: Setup, user: User, attempts_left: int) -> Refused:
    """A wrong code at set-up: lock the set-up at the limit; the answer to give."""
    if attempts_left <= 0:
        await Setup.filter(id=setup.id, status__in=OPEN_SETUP_STATUSES).update(
            status=SetupStatus.LOCKED, version=F("version") + 1
        )
        await audit(context, "setup.locked", target_id=user.id, setup_id=str(setup.id))
        await _setup_changed(context, setup)
        return factors.setup_locked(attempts_left=0)
    await Setup.filter(id=setup.id).update(version=F("version") + 1)
    await audit(context, "setup.code_failed", target_id=user.id, setup_id=str(setup.id))
    await _setup_changed(context, setup)
    return factors.invalid_code(attempts_left)


END_OTHER_SETUP_SESSIONS = 'DELETE FROM "sessions" WHERE "user_id" = ? AND "state" = ? AND "id" <> ?'

# What a set-up whose code was right writes, in one transaction (see `_finish_setup`).
# The set-up is won if still open with at most so many tries used (see `_finish_setup`).
_SETUP_WON = (
    'UPDATE "setups" SET "status" = ?, "code_digest" = NULL, "secret_encrypted" = NULL, '  # noqa: S608 - constants only
    f'"version" = "version" + 1 WHERE "id" = ? AND {factors.SETUP_OPEN} AND "failed_attempts" <= ?'
)
# The authenticator's fields in the order `_finish_setup` stores them.
_AUTHENTICATOR_FIELDS = (
    "user_id", "method", "name", "name_key", "email", "secret_encrypted", "last_step", "created_at", "last_used_at"
)  # fmt: skip
_AUTHENTICATOR_COLUMNS = ", ".join(f'"{field}"' for field in _AUTHENTICATOR_FIELDS)
_AUTHENTICATOR_INSERT = (
    f'INSERT INTO "authenticators" ({_AUTHENTICATOR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"'  # noqa: S608
)
_RECOVERY_DELETE = 'DELETE FROM "recovery_codes" WHERE "user_id" = ?'
# The failures in a row ended, and how many authenticators the user had (kept by triggers).
_RETURNING_COUNT = 'RETURNING "authenticator_count"'
_SUCCEEDED_COUNTING = f"{factors.USER_SUCCEEDED} {_RETURNING_COUNT}"
_SUCCEEDED_UNLESS_WAITING_COUNTING = f"{factors.USER_SUCCEEDED_UNLESS_WAITING} {_RETURNING_COUNT}"
# The set-up proves a factor; a set-up-only session becomes a full one.
_SESSION_PROVED = (
    'UPDATE "sessions" SET "second_factor_at" = ?, '
    '"expires_at" = CASE WHEN "state" = ? THEN ? ELSE "expires_at" END, '
    '"state" = CASE WHEN "state" = ? THEN ? ELSE "state" END WHERE "id" = ?'
)


def _win_and_lock_user(counted: bool) -> str:
    """PostgreSQL: the set-up won, then (only if it was) the user's failures in a row ended,
    which locks the user's row until the commit: one change to a user's factors at a time.
    The set-up's row is locked before the user's, in the order a code check takes them
    (`factors._both_at_once`), so that a check beside this transaction cannot deadlock with it.
    A right code whose try was not counted ends them only if the user does not wait. Returns
    how many authenticators the user had, as of that lock."""
    succeeded = factors.USER_SUCCEEDED if counted else factors.USER_SUCCEEDED_UNLESS_WAITING
    return (
        f"WITH won AS ({_SETUP_WON} RETURNING 1) "  # noqa: S608 - constants only
        f"{succeeded} AND EXISTS (SELECT 1 FROM won) {_RETURNING_COUNT}"
    )


_WIN_AND_LOCK_USER = {counted: _win_and_lock_user(counted) for counted in (True, False)}


def _all_at_once(with_codes: bool, *, in_one: bool) -> str:
    """PostgreSQL: `_finish_setup`'s writes as one statement (each round trip costs more CPU
    than the writes). `prior` says whether the user had an authenticator before this one; each
    write is made only if the set-up was won.

    `in_one`: the statement also wins the set-up (only with a try left, and the user not waiting
    as of the statement's start) and ends the user's failures, which locks the user's row after the
    set-up's (the order a code check takes them). `prior` then comes from that row as locked,
    whose `authenticator_count` the database's triggers keep: up to date even when another
    set-up of the user committed while this statement waited for the row. Otherwise it runs in
    a transaction after `_WIN_AND_LOCK_USER`, which read that count: `prior` is a value."""
    won = (
        f"won AS ({_SETUP_WON} AND NOT EXISTS ({_USER_WAITING}) RETURNING 1), "  # noqa: S608 - constants only
        f"usr AS ({factors.USER_SUCCEEDED} AND EXISTS (SELECT 1 FROM won) {_RETURNING_COUNT}), "
        'prior AS (SELECT "authenticator_count" > 0 AS "has" FROM usr), '
        if in_one
        else 'prior AS (SELECT CAST(? AS BOOLEAN) AS "has"), '
    )
    codes_parts = (
        f'gone AS ({_RECOVERY_DELETE} AND NOT (SELECT "has" FROM prior)), '  # noqa: S608 - constants only
        'codes AS (INSERT INTO "recovery_codes" ("user_id", "code_digest", "created_at", "minted_by_session_id") '
        'SELECT ?, "digest", ?, CAST(? AS INTEGER) FROM unnest(CAST(? AS VARCHAR[])) AS "digest" '
        'WHERE NOT (SELECT "has" FROM prior)), '
        if with_codes
        else ""
    )
    made = "EXISTS (SELECT 1 FROM made)"
    return (
        f"WITH {won}"  # noqa: S608 - constants only
        f"made AS ({plain_sql.only_if(_AUTHENTICATOR_INSERT, 'EXISTS (SELECT 1 FROM prior)')}), "
        f"{codes_parts}"
        f"proved AS ({_SESSION_PROVED} AND {made}), "
        f"others AS ({END_OTHER_SETUP_SESSIONS} AND {made}), "
        f'challenged AS ({_CHALLENGE_UNPROVED} AND {made} AND NOT (SELECT "has" FROM prior) RETURNING "id"), '
        f'noted AS (INSERT INTO "audit_events" ({AUDIT_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, '
        """CAST(? AS JSONB) || jsonb_build_object('authenticator_id', (SELECT "id" FROM made)) """
        f"WHERE {made}), "
        f"mail AS ({plain_sql.only_if(OUTBOX_INSERT, made)}) "
        'SELECT (SELECT "has" FROM prior), (SELECT "id" FROM made), ARRAY(SELECT "id" FROM challenged)'
    )


# A first factor: the user's other sessions that never proved one move to the challenge
# (`challenge_unproved_sessions`, as one clause of `_all_at_once`).
_CHALLENGE_UNPROVED = (
    'UPDATE "sessions" SET "state" = ?, "expires_at" = ?, "failed_attempts" = 0 '
    'WHERE "user_id" = ? AND "id" <> ? AND "state" = ? AND "second_factor_at" IS NULL'
)
# A user who must wait (the user's id, now): as the one-statement completion finds them.
_USER_WAITING = 'SELECT 1 FROM "users" WHERE "id" = ? AND "verification_blocked_until" > ?'
_FINISH = {
    (with_codes, in_one): _all_at_once(with_codes, in_one=in_one)
    for with_codes in (True, False)
    for in_one in (True, False)
}

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
) -> _Finished:
    """Create the authenticator of a set-up whose code was right, all or nothing: the set-up
    won (else `setup_ended`), the authenticator (`IntegrityError` if its name was taken
    meanwhile), a first factor's recovery codes, the session proved, the audit row, the notice.
    In one transaction; on PostgreSQL, a right code whose try was not counted from a signed-in
    session makes them in one statement instead (`_finish_in_one`).

    `counted`: whether this code's try was counted. If not, the set-up is won only with a try
    left and the user's failures end only if they do not wait, else `_NotAsRead`.

    Raises `_OutdatedSetupSession` when a set-up-only session finds that its user set up 2FA
    from another session meanwhile: it must now pass a challenge like any other.
    """
    moment = now()
    method = Method(setup.method)
    setting_up = str(SessionState.SETUP)
    stored = (
        user.id,
        str(method),
        name,
        name_key(name),
        user.email if method == Method.EMAIL else None,
        setup.secret_encrypted,
        # The set-up's code may not be replayed at sign-in.
        step if method == Method.APP else -1,
        moment,  # created
        moment,  # last used: by the set-up's code
    )
    # A counted try may have been the last one; else one must be left.
    tries_used_at_most = ATTEMPTS_PER_VERIFICATION if counted else ATTEMPTS_PER_VERIFICATION - 1
    writes = _SetupWrites(
        setup=(str(SetupStatus.VERIFIED), str(setup.id), *factors.OPEN_STATUSES, tries_used_at_most),
        counted=counted,
        authenticator=stored,
        # A set-up-only session becomes a full one; another only records the proof.
        session=(moment, setting_up, moment + SESSION_LIFETIME, setting_up, str(SessionState.DONE), session.id),
        other_sessions=(user.id, setting_up, session.id),
        notice=notice_row(
            context,
            user,
            messages.authenticator_added(user.email, name, METHOD_LABELS[method]),
            "authenticator_added",
        ),
        details={"method": str(setup.method), "setup_id": str(setup.id)},
        challenge=(
            str(SessionState.CHALLENGE),
            moment + PENDING_SESSION_LIFETIME,
            user.id,
            session.id,
            str(SessionState.DONE),
        ),
        challenged=[],
    )

    async def write(connection: BaseDBAsyncClient) -> tuple[int, bool, list[str] | None]:
        if plain_sql.is_sqlite(connection):
            return await _finish_in_steps(context, session, user, policy, writes, connection)
        return await _finish_at_once(context, session, user, policy, writes, connection)

    if counted or session.state != SessionState.DONE or plain_sql.is_sqlite():
        new_id, first, recovery = await plain_sql.in_transaction_again_after_deadlock(write)
    else:
        new_id, first, recovery = await _finish_in_one(context, user, policy, writes)
    for challenged in writes.challenged:
        # Their subscriptions end; their next request meets the challenge.
        await publish(context, session_channel(challenged), {"type": "ended"})
    authenticator = Authenticator(id=new_id, **dict(zip(_AUTHENTICATOR_FIELDS, stored, strict=True)))
    return authenticator, first, recovery


class _SetupWrites(NamedTuple):
    """The values of each of `_finish_setup`'s statements, computed before its transaction."""

    setup: tuple[Any, ...]
    counted: bool
    authenticator: tuple[Any, ...]
    session: tuple[Any, ...]
    other_sessions: tuple[Any, ...]
    notice: tuple[Any, ...]
    details: dict[str, Any]
    # A first factor: the user's other sessions that never proved one must pass the challenge.
    challenge: tuple[Any, ...]
    # Filled in by the transaction: the sessions it moved to the challenge.
    challenged: list[int]


def _refuse_outdated(session: Session, first: bool) -> None:
    if session.state == SessionState.SETUP and not first:
        raise _OutdatedSetupSession


async def _finish_in_steps(
    context: RequestContext, session: Session, user: User, policy: Policy, writes: _SetupWrites, connection: Any
) -> tuple[int, bool, list[str] | None]:
    """SQLite: `_finish_setup`'s statements one after another (each is a call, not a round trip).
    The transaction holds the database's write lock: one change to a user's factors at a time."""
    if not await plain_sql.execute(_SETUP_WON, *writes.setup, connection=connection):
        raise factors.setup_ended() if writes.counted else _NotAsRead
    # The right code ends the user's failures in a row; the row says how many factors they had.
    if writes.counted:
        had = await plain_sql.fetch(_SUCCEEDED_COUNTING, user.id, connection=connection)
    else:
        had = await plain_sql.fetch(_SUCCEEDED_UNLESS_WAITING_COUNTING, user.id, now(), connection=connection)
        if not had:
            raise _NotAsRead
    first = had[0][0] == 0
    _refuse_outdated(session, first)
    ((new_id,),) = await plain_sql.fetch(_AUTHENTICATOR_INSERT, *writes.authenticator, connection=connection)
    recovery = None
    if first and policy.recovery_codes_enabled:
        recovery = await _replace_recovery_codes(context, user, connection)
    await plain_sql.execute(_SESSION_PROVED, *writes.session, connection=connection)
    await plain_sql.execute(END_OTHER_SETUP_SESSIONS, *writes.other_sessions, connection=connection)
    if first:
        _, expires, user_id, keep, _ = writes.challenge
        writes.challenged[:] = await challenge_unproved_sessions(user_id, keep, expires, connection)
    noted = audit_values(context, "authenticator.added", target_id=user.id, authenticator_id=new_id, **writes.details)
    await plain_sql.execute(AUDIT_INSERT, *noted, connection=connection)
    await plain_sql.fetch(OUTBOX_INSERT, *writes.notice, connection=connection)
    return int(new_id), first, recovery


async def _finish_at_once(
    context: RequestContext, session: Session, user: User, policy: Policy, writes: _SetupWrites, connection: Any
) -> tuple[int, bool, list[str] | None]:
    """PostgreSQL: the set-up won and the user's row locked in one statement, which says how
    many authenticators the user had; then every other write in one more (`_all_at_once`)."""
    waiting_unless = () if writes.counted else (now(),)
    sql = _WIN_AND_LOCK_USER[writes.counted]
    won = await plain_sql.fetch(sql, *writes.setup, user.id, *waiting_unless, connection=connection)
    if not won:
        raise factors.setup_ended() if writes.counted else _NotAsRead
    had = int(won[0][0])
    _refuse_outdated(session, had == 0)
    first, new_id, recovery = await _write_all_at_once(context, user, policy, writes, had=had, connection=connection)
    assert new_id is not None  # the set-up was won above: the authenticator is made or refused
    return new_id, first, recovery


async def _finish_in_one(
    context: RequestContext, user: User, policy: Policy, writes: _SetupWrites
) -> tuple[int, bool, list[str] | None]:
    """PostgreSQL, a right code whose try was not counted, from a signed-in session: every write
    in one statement of its own, no transaction (`_all_at_once(in_one=True)`); `_NotAsRead`
    if the set-up was not won. (A set-up-only session may find that its user set up 2FA
    meanwhile, which must undo everything: it takes `_finish_at_once`'s transaction.)"""
    first, new_id, recovery = await _write_all_at_once(context, user, policy, writes)
    if new_id is None:
        raise _NotAsRead
    return new_id, first, recovery


async def _write_all_at_once(
    context: RequestContext,
    user: User,
    policy: Policy,
    writes: _SetupWrites,
    *,
    had: int | None = None,
    connection: Any = None,
) -> tuple[bool, int | None, list[str] | None]:
    """Run `_all_at_once`: in the transaction of `connection` once `_WIN_AND_LOCK_USER` found the
    user with `had` authenticators, else (`had` None) in one statement of its own (`in_one`).
    Whether this is the user's first factor, the new authenticator's id (None if the set-up
    was not won) and the recovery codes to show.

    In one statement, recovery codes are made beforehand when the authenticators read with the
    session say this is the first; the statement stores them only if it is. Should another
    request have removed the user's last authenticator since that read, they are made after
    it, in a transaction of their own.
    """
    in_one = had is None
    values: list[Any] = [*writes.setup, user.id, now(), user.id] if in_one else [had != 0]
    values += writes.authenticator
    first_as_read = not authenticators_read(context) if had is None else had == 0
    made_before: list[str] | None = None
    if policy.recovery_codes_enabled and first_as_read:
        made_before, digests = _new_recovery_codes(context, user)
        values += [user.id, user.id, now(), _minting_session(context), digests]
    noted = audit_values(context, "authenticator.added", target_id=user.id, **writes.details)
    values += [*writes.session, *writes.other_sessions, *writes.challenge, *noted, *writes.notice]
    sql = _FINISH[made_before is not None, in_one]
    ((has, new_id, challenged),) = await plain_sql.fetch(sql, *values, connection=connection)
    writes.challenged[:] = [int(i) for i in challenged or ()]
    first = not has
    if new_id is None or not first:
        return first, new_id, None
    if made_before is not None or not policy.recovery_codes_enabled:
        return first, new_id, made_before
    recovery = await plain_sql.in_transaction_again_after_deadlock(
        lambda transaction: _replace_recovery_codes(context, user, transaction)
    )
    return first, new_id, recovery


def _new_recovery_codes(context: RequestContext, user: User) -> tuple[list[str], list[str]]:
    """A new set of recovery codes and the digests stored for them."""
    new = codes.new_recovery_codes()
    assert len(new) == RECOVERY_CODE_COUNT
    return new, [factors.recovery_digest(context.keyring, user.id, code) for code in new]


def _minting_session(context: RequestContext) -> int:
    """The session shown a new set of recovery codes: they never confirm its own changes."""
    assert context.session is not None
    return int(context.session.id)


async def _replace_recovery_codes(context: RequestContext, user: User, connection: Any) -> list[str]:
    new, digests = _new_recovery_codes(context, user)
    await plain_sql.execute(_RECOVERY_DELETE, user.id, connection=connection)
    moment = now()
    minted_by = _minting_session(context)
    rows = ", ".join("(?, ?, ?, ?)" for _ in new)
    values: list[Any] = []
    for digest in digests:
        values += [user.id, digest, moment, minted_by]
    await plain_sql.execute(
        'INSERT INTO "recovery_codes" ("user_id", "code_digest", "created_at", "minted_by_session_id") '  # noqa: S608
        f"VALUES {rows}",
        *values,
        connection=connection,
    )
    return new


async def cancel_setup(context: RequestContext, setup_id: str) -> types.SetupPayload:
    """End a set-up; its secret or code stops working."""
    _, user = require(context, SETTING_UP)
    setup = await _own_setup(user, setup_id)
    changed = await Setup.filter(id=setup.id, status__in=OPEN_SETUP_STATUSES).update(
        status=SetupStatus.CANCELLED, code_digest=None, secret_encrypted=None, version=F("version") + 1
    )
    if changed:
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
    try:
        async with in_transaction() as connection:
            await Authenticator.filter(id=row.id).using_db(connection).update(name=clean, name_key=name_key(clean))
            await audit(
                context,
                "authenticator.renamed",
                target_id=user.id,
                connection=connection,
                authenticator_id=row.id,
                old_name=old,
                new_name=clean,
            )
    except IntegrityError:
        raise _name_taken() from None
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
    remaining = await RecoveryCode.filter(user_id=user.id, used_at__isnull=True).count()
    async with in_transaction() as connection:
        await send_notice(
            context, user, messages.recovery_codes_used(user.email, remaining), "recovery_code_used", connection
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
    ended: list[int] = []

    async def remove_it(connection: BaseDBAsyncClient) -> None:
        # One removal per user at a time, so parallel ones cannot each see the other's row
        # as "remaining" and together remove the last authenticator.
        await lock_user(user.id, connection)
        deleted = await Authenticator.filter(id=row.id, user_id=user.id).using_db(connection).delete()
        if not deleted:
            raise Refused(ErrorCode.NOT_FOUND, "There is no such authenticator.", field="id")
        remaining = await Authenticator.filter(user_id=user.id).using_db(connection).count()
        if policy.mandatory and remaining == 0:
            raise _last_authenticator()
        if remaining == 0:
            # No second factor left: recovery codes would be a back door, not a backup, and
            # the other sessions, which proved a factor that is gone, end.
            await RecoveryCode.filter(user_id=user.id).using_db(connection).delete()
            ended[:] = await end_other_sessions(user.id, session.id, connection)
        await audit(
            context,
            "authenticator.removed",
            target_id=user.id,
            connection=connection,
            authenticator_id=row.id,
            method=str(row.method),
            name=row.name,
            **({"sessions_ended": len(ended)} if ended else {}),
        )
        await send_notice(
            context,
            user,
            messages.authenticator_removed(user.email, row.name, METHOD_LABELS[Method(row.method)]),
            "authenticator_removed",
            connection,
        )

    # The removal locks the user's row, then the authenticator's; a code check takes them the other way.
    await plain_sql.in_transaction_again_after_deadlock(remove_it)
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

    async def replace(connection: BaseDBAsyncClient) -> list[str]:
        await lock_user(user.id, connection)
        new = await _replace_recovery_codes(context, user, connection)
        await audit(context, "recovery_codes.regenerated", target_id=user.id, connection=connection)
        await send_notice(
            context, user, messages.recovery_codes_regenerated(user.email), "recovery_codes_regenerated", connection
        )
        return new

    new = await plain_sql.in_transaction_again_after_deadlock(replace)
    if used_recovery_code:
        await notify_recovery_code_used(context, user)  # after the new set: the count left is final
    await user_changed(context, user.id)
    return types.RecoveryCodesPayload(recovery_codes=new)
