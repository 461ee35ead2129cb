"""Code checks for every second factor: attempt accounting, send budgets, code claims, replay guards.

Every counter lives in the database and changes only by a guarded atomic
UPDATE whose row count says whether this request won, so parallel requests,
aliases and other server processes never get an extra try.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from twofactor.models import (
    Authenticator,
    Session,
    Setup,
    User,
    attempts,
    devices,
)
from twofactor.models.setups import expire_setup
from twofactor.models.two_factor import OPEN_SETUP_STATUSES, SetupStatus
from twofactor.resolvers.notices import audit, seconds_until
from twofactor.schema.errors import ErrorCode, Refused, Wait
from twofactor.security import codes, totp
from twofactor.security.keyring import Keyring
from twofactor.security.rules import (
    ATTEMPTS_PER_VERIFICATION,
    SEND_WINDOW,
    SENDS_PER_HOUR,
    SIGN_IN_SENDS_PER_HOUR,
    TOTP_PERIOD_SECONDS,
)
from twofactor.security.throttle import wait_after
from twofactor.server.context import RequestContext, now

# Compare-and-swap retries before a request under heavy contention is told to retry.
_CAS_TRIES = 25


def secret_context(user_id: int) -> str:
    """The AES-GCM associated data of a user's TOTP secrets: a secret cannot move between users."""
    return f"totp-secret:user:{user_id}"


def invalid_code(attempts_left: int | None) -> Refused:
    """The one answer to a wrong, replayed or misshapen code (they must look alike)."""
    message = "That code is not right."
    if attempts_left is not None:
        message += f" {attempts_left} {'try' if attempts_left == 1 else 'tries'} left."
    return Refused(ErrorCode.INVALID_CODE, message, field="code", attempts_left=attempts_left)


def setup_locked(attempts_left: int | None = None) -> Refused:
    """The answer for a set-up that took too many wrong codes."""
    return Refused(
        ErrorCode.TOO_MANY_ATTEMPTS, "Too many wrong codes. Start the set-up again.", attempts_left=attempts_left
    )


def setup_ended() -> Refused:
    """The answer for a set-up that is no longer in progress."""
    return Refused(ErrorCode.NOT_FOUND, "This set-up has already ended.", field="setupId")


async def reserve_user_attempt(known: User) -> tuple[int, datetime | None]:
    """Count one more failure in a row for the user before checking a code (RATE_LIMITED if waiting);
    the count and wait it replaced, to give it back (`_forgive_user_failure`).

    The failure is counted first and forgiven by `user_succeeded`, so a
    request that dies half-way still costs a try. The first compare-and-swap
    uses the row as the request loaded it; only a concurrent change costs a read.
    """
    user_id = known.id
    user = known
    for attempt in range(_CAS_TRIES):
        if attempt:
            user = await attempts.read_user_failures(user_id)
        moment = now()
        blocked = user.verification_blocked_until
        if blocked is not None and blocked > moment:
            if attempt == 0:  # as loaded at the start of the request: make sure it still holds
                continue
            raise Refused(
                ErrorCode.RATE_LIMITED,
                "Too many wrong codes. Wait before trying again.",
                retry_after_seconds=seconds_until(blocked),
                wait=Wait("verification.throttled", f"verify:user:{user_id}", blocked, user_id),
            )
        replaced = (user.failed_verifications, blocked)
        if await _count_failure(known, user, moment):
            return replaced
    raise Refused(ErrorCode.RATE_LIMITED, "Too many attempts at once. Try again.", retry_after_seconds=1)


async def _count_failure(known: User, user: User, moment: datetime) -> bool:
    """One more failure in a row for the user, if the count is still the one in `user` (as read);
    `known` (the request's user) gets the new count."""
    failures = user.failed_verifications + 1
    wait = wait_after(failures)
    until = moment + wait if wait else None
    if await attempts.set_user_failures(user.id, user.failed_verifications, failures, until):
        known.failed_verifications, known.verification_blocked_until = failures, until
        return True
    return False


async def _forgive_user_failure(user: User, before: tuple[int, datetime | None]) -> None:
    """Undo a failure counted for a code that was then not checked, unless the count moved on since.
    `before` is what the failure replaced, not the row as the request read it: back to that, a
    failure a parallel request counted in between would be undone too."""
    await attempts.set_user_failures(user.id, user.failed_verifications, *before)
    user.failed_verifications, user.verification_blocked_until = before


async def _reserve_with_user(
    take_first: Callable[[], Awaitable[int]], give_back_first: Callable[[], Awaitable[None]], user: User
) -> tuple[int, tuple[int, datetime | None]]:
    """A try of a challenge or set-up (`take_first`), then the user's failure; the tries left
    if this one fails, and what the failure replaced. A refused user (waiting) gives the first
    try back."""
    left = await take_first()
    try:
        replaced = await reserve_user_attempt(user)
    except Refused:
        await give_back_first()
        raise
    return left, replaced


async def reserve_session_and_user_attempt(session: Session, user: User) -> int:
    """A try of the sign-in challenge and of the user; the challenge's tries left if it fails.

    Refused: TOO_MANY_ATTEMPTS (the challenge's), RATE_LIMITED (the user waits).
    """
    take = partial(reserve_session_attempt, session)
    give_back = partial(give_back_session_attempt, session)
    return (await _reserve_with_user(take, give_back, user))[0]


GiveBack = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class FirstTry:
    """What `count_try_and_claim` did: the try counted (the tries left if it fails, and how to
    give it back), or None when it must be counted the usual way; and the step's claim (won or
    lost), or None when it was not made."""

    counted: tuple[int, GiveBack] | None
    claimed: bool | None


async def count_try_and_claim(session: Session, user: User, authenticator: Authenticator, step: int | None) -> FirstTry:
    """`reserve_challenge_attempt` and `claim_totp_step` (if a step matched) in one write, while
    the counts are as read and no known device counts its own. A user's failure counted so
    stands, with the try counted on the row as it is now; otherwise nothing stays counted and
    the caller counts the usual way. A claim made stands, and no code passes before its try is
    counted (tests/test_attempts.py, tests/test_login.py::test_one_code_in_parallel_sessions_wins_once)."""
    blocked = user.verification_blocked_until
    moment = now()
    if (
        counting_device(session) is not None
        or session.failed_attempts >= ATTEMPTS_PER_VERIFICATION
        or (blocked is not None and blocked > moment)
    ):
        return FirstTry(None, None)
    before = (user.failed_verifications, blocked)
    failures = user.failed_verifications + 1
    wait = wait_after(failures)
    until = moment + wait if wait else None
    taken = await attempts.take_tries_and_claim(
        session_id=session.id,
        session_seen=session.failed_attempts,
        user_id=user.id,
        user_seen=user.failed_verifications,
        blocked_until=until,
        claim=(authenticator.id, step) if step is not None else None,
        moment=moment,
    )
    if not taken.user_failure:
        if taken.session_try:
            await give_back_session_attempt(session)
        return FirstTry(None, taken.claimed)
    user.failed_verifications, user.verification_blocked_until = failures, until

    async def give_back() -> None:
        await give_back_session_attempt(session)
        await _forgive_user_failure(user, before)

    if taken.session_try:
        session.failed_attempts += 1
        left = ATTEMPTS_PER_VERIFICATION - session.failed_attempts
    else:
        # The user's failure stands and the challenge's try is counted on its row as it is now:
        # forgiven and counted again, it would count twice if a parallel failure came between.
        try:
            left = await reserve_session_attempt(session)
        except Refused:
            await _forgive_user_failure(user, before)
            return FirstTry(None, taken.claimed)  # counted the usual way, which ends the challenge
    return FirstTry((left, give_back), taken.claimed)


def counting_device(session: Session) -> int | None:
    """The known device whose own allowance decides whether this session may check a code: one
    that had passed a second factor when the session signed in, or on which this session
    passed one. Its failures still count on the user too (the bound for everyone else), but
    the user's wait does not hold it: a stranger with the password cannot make the owner wait.
    """
    if session.device_id is not None and (session.trusted_device or session.second_factor_at is not None):
        return session.device_id
    return None


async def reserve_challenge_attempt(session: Session, user: User) -> tuple[int, GiveBack]:
    """A try of the sign-in challenge and a failure in a row (see `counting_device`), before a
    code is checked: the challenge's tries left if it fails, and how to give them back (a
    replayed code)."""
    take = partial(reserve_session_attempt, session)
    give_back_try = partial(give_back_session_attempt, session)
    counted = await _reserve_with_device(counting_device(session), take, give_back_try, user)
    if counted is not None:
        return counted
    left, before = await _reserve_with_user(take, give_back_try, user)

    async def give_back() -> None:
        await give_back_try()
        await _forgive_user_failure(user, before)

    return left, give_back


async def _device_failure(device_id: int) -> tuple[int, datetime | None] | None:
    """A failure in a row for the device, before a code is checked: its count and wait before
    (to give it back), or None when the device is gone. RATE_LIMITED while it must wait."""
    try:
        return await devices.reserve_device_code_failure(device_id, now(), wait_after)
    except devices.DeviceWaits as waits:
        raise Refused(
            ErrorCode.RATE_LIMITED,
            "Too many wrong codes. Wait before trying again.",
            retry_after_seconds=seconds_until(waits.until),
        ) from None


async def _count_user_failure(known: User) -> tuple[int, datetime | None]:
    """One more failure in a row for the user whatever their wait (a known device's, which its
    own count holds back); compare-and-swap as `reserve_user_attempt`."""
    user = known
    for attempt in range(_CAS_TRIES):
        if attempt:
            user = await attempts.read_user_failures(known.id)
        replaced = (user.failed_verifications, user.verification_blocked_until)
        if await _count_failure(known, user, now()):
            return replaced
    raise Refused(ErrorCode.RATE_LIMITED, "Too many attempts at once. Try again.", retry_after_seconds=1)


async def _reserve_with_device(
    device_id: int | None, take: Callable[[], Awaitable[int]] | None, give_back_try: GiveBack | None, user: User
) -> tuple[int, GiveBack] | None:
    """A known device's failure, a try of a challenge or set-up (`take`, if any) and the user's
    failure, before a code is checked: the tries left and how to give them all back. None where
    no device decides (none, or forgotten meanwhile): the caller counts on the user alone."""
    if device_id is None:
        return None
    before = await _device_failure(device_id)
    if before is None:
        return None
    try:
        left = await take() if take is not None else 0
    except Refused:
        await devices.give_back_device_code_failure(device_id, before)
        raise
    try:
        user_before = await _count_user_failure(user)
    except Refused:
        if give_back_try is not None:
            await give_back_try()
        await devices.give_back_device_code_failure(device_id, before)
        raise

    async def give_back() -> None:
        if give_back_try is not None:
            await give_back_try()
        await devices.give_back_device_code_failure(device_id, before)
        await _forgive_user_failure(user, user_before)

    return left, give_back


async def reserve_code_check(session: Session, user: User) -> GiveBack:
    """A failure in a row before a code is checked outside a challenge or set-up (a fresh
    factor), as `counting_device` says; how to give it back."""
    counted = await _reserve_with_device(counting_device(session), None, None, user)
    if counted is not None:
        return counted[1]
    user_before = await reserve_user_attempt(user)
    return partial(_forgive_user_failure, user, user_before)


async def code_check_passed(session: Session, user: User) -> None:
    """A right code: the failures in a row of the user, and of the device that counted them, end."""
    await user_succeeded(user.id)
    await device_code_passed(session)


async def device_code_passed(session: Session) -> None:
    """A right code whose try was counted: the failures in a row of the device that counted it end."""
    device_id = counting_device(session)
    if device_id is not None:
        await devices.device_passed_second_factor(device_id, now(), session.id)


async def reserve_setup_and_user_attempt(setup: Setup, user: User, session: Session | None = None) -> int:
    """A try of the set-up and a failure in a row (see `counting_device`); the set-up's tries
    left if it fails.

    Refused: TOO_MANY_ATTEMPTS or NOT_FOUND (the set-up's), RATE_LIMITED (the user or device waits).
    """
    take = partial(reserve_setup_attempt, setup)
    give_back = partial(give_back_setup_attempt, setup)
    counted = await _reserve_with_device(counting_device(session) if session else None, take, give_back, user)
    if counted is not None:
        return counted[0]
    return (await _reserve_with_user(take, give_back, user))[0]


def try_left_as_read(tries_used: int, user: User) -> bool:
    """Whether a right code may be applied without counting its try first: as read, a try is
    left and the user does not wait. The writes that apply it check both again.

    A wrong code is never answered before its try is counted, so no request gets an extra
    try; a right code that finds either changed meanwhile takes its try like any other.
    """
    blocked = user.verification_blocked_until
    return tries_used < ATTEMPTS_PER_VERIFICATION and (blocked is None or blocked <= now())


async def user_succeeded(user_id: int) -> None:
    """A right code: the failures in a row start again from zero."""
    await attempts.end_user_failures(user_id)


async def reserve_setup_attempt(setup: Setup) -> int:
    """Take one of the set-up's tries; the number of tries left after this one if it fails."""
    seen = setup.failed_attempts
    if seen < ATTEMPTS_PER_VERIFICATION and await attempts.take_setup_try(setup.id, seen):
        # Nobody else took a try since the set-up was read: the count is exact without reading it back.
        setup.failed_attempts = seen + 1
        return ATTEMPTS_PER_VERIFICATION - setup.failed_attempts
    used = await attempts.take_setup_try_again(setup.id, ATTEMPTS_PER_VERIFICATION)
    if used is None:
        status = await attempts.setup_status(setup.id)
        if status is not None:
            setup.status = status
        if status in OPEN_SETUP_STATUSES or status == SetupStatus.LOCKED:
            raise setup_locked()
        raise setup_ended()
    setup.failed_attempts = used
    return ATTEMPTS_PER_VERIFICATION - setup.failed_attempts


async def give_back_setup_attempt(setup: Setup) -> None:
    """Return a try taken by a request that then checked no code."""
    await attempts.give_back_setup_try(setup.id)


async def give_back_session_attempt(session: Session) -> None:
    """Return a sign-in challenge's try taken by a request that then checked no code."""
    await attempts.give_back_session_try(session.id)


async def reserve_session_attempt(session: Session) -> int:
    """Take one of the sign-in challenge's tries; the tries left after this one if it fails."""
    seen = session.failed_attempts
    if seen < ATTEMPTS_PER_VERIFICATION and await attempts.take_session_try(session.id, seen):
        session.failed_attempts = seen + 1
        return ATTEMPTS_PER_VERIFICATION - session.failed_attempts
    used = await attempts.take_session_try_again(session.id, ATTEMPTS_PER_VERIFICATION)
    if used is None:
        raise Refused(ErrorCode.TOO_MANY_ATTEMPTS, "Too many wrong codes. Sign in again.")
    return ATTEMPTS_PER_VERIFICATION - used


@dataclass(frozen=True)
class SendBudget:
    """One hourly allowance of code mails of a user: the users' columns that keep it."""

    window: str
    count: str
    per_hour: int


# Set-ups, confirmations, and sign-ins from a device that passed a second factor before.
OWN_SENDS = SendBudget("send_window_start", "sends_in_window", SENDS_PER_HOUR)
# Sign-ins from any other session: a stranger with the password spends only this one.
SIGN_IN_SENDS = SendBudget("sign_in_send_window_start", "sign_in_sends_in_window", SIGN_IN_SENDS_PER_HOUR)


def cooling_down(until: datetime, what: str, user_id: int) -> Refused:
    """The answer to a resend of the same set-up or challenge (`what`) within the cooldown."""
    return Refused(
        ErrorCode.RATE_LIMITED,
        "A code was just sent. Wait a moment before asking for another.",
        retry_after_seconds=seconds_until(until),
        wait=Wait("code_send.throttled", f"resend:{what}", until, user_id),
    )


async def claim_send(user_id: int, budget: SendBudget) -> datetime:
    """Take one code mail of the user's hourly `budget`; when it was taken (to give it back).

    The resend cooldown is the set-up's or the challenge's own (their callers'), so the first
    code of a new set-up or sign-in goes out at once.
    """
    taken = await attempts.take_code_mail(
        user_id,
        window=budget.window,
        count=budget.count,
        per_hour=budget.per_hour,
        span=SEND_WINDOW,
        tries=_CAS_TRIES,
    )
    if isinstance(taken, attempts.BudgetSpent):
        raise Refused(
            ErrorCode.RATE_LIMITED,
            "Too many codes were sent in the last hour. Try again later.",
            retry_after_seconds=seconds_until(taken.until),
            wait=Wait("code_send.throttled", f"{budget.count}:user:{user_id}", taken.until, user_id),
        )
    if taken is None:
        raise Refused(ErrorCode.RATE_LIMITED, "Too many requests at once. Try again.", retry_after_seconds=1)
    return taken


async def give_back_send(user_id: int, budget: SendBudget, taken_at: datetime) -> None:
    """Return a mail `claim_send` took for a send that then did not go (a parallel one won)."""
    await attempts.give_back_code_mail(
        user_id, window=budget.window, count=budget.count, taken_at=taken_at, span=SEND_WINDOW
    )


async def claim_totp(context: RequestContext, authenticator: Authenticator, code: str) -> bool:
    """True when `code` is current for this APP authenticator and its step was not used before.

    The step is claimed by one conditional UPDATE (`last_step < step`), so of
    parallel requests with the same code exactly one wins, and a code for an
    older step than the last accepted one never passes.
    """
    step = totp_step(context, authenticator, code)
    if step is None:
        return False
    if not await claim_totp_step(authenticator, step):
        raise await code_already_used(context, authenticator, step)
    return True


async def claim_totp_step(authenticator: Authenticator, step: int) -> bool:
    """Claim a matched time step of an APP authenticator; False when it (or a later one) was used."""
    return await attempts.claim_totp_step(authenticator.id, step, now())


class CodeAlreadyUsed(Exception):
    """A right app code whose time step was used before; `refused` is the answer to give
    once the try it was counted as is given back."""

    def __init__(self, refused: Refused) -> None:
        super().__init__("code already used")
        self.refused = refused


async def code_already_used(context: RequestContext, authenticator: Authenticator, step: int) -> CodeAlreadyUsed:
    """A replayed code: on the record (ASVS 2.8.5; someone saw it), answered with the wait
    until the app shows a code that can work (a step after the last accepted one)."""
    await replay_refused(context, authenticator)
    stored = await attempts.last_step(authenticator.id)
    last = max(step, stored if stored is not None else step)
    next_code = datetime.fromtimestamp((last + 1) * TOTP_PERIOD_SECONDS, UTC)
    return CodeAlreadyUsed(
        Refused(
            ErrorCode.CODE_ALREADY_USED,
            "That code was already used. Wait for the next one.",
            field="code",
            retry_after_seconds=seconds_until(next_code),
        )
    )


def totp_step(context: RequestContext, authenticator: Authenticator, code: str) -> int | None:
    """The time step `code` is current for on this APP authenticator, or None (not yet claimed)."""
    if authenticator.secret_encrypted is None:
        return None
    secret = context.keyring.decrypt(authenticator.secret_encrypted, secret_context(authenticator.user_id))
    return totp.matching_step(secret, code)


async def replay_refused(context: RequestContext, authenticator: Authenticator) -> None:
    """A right code used before (ASVS 2.8.5): on the record."""
    await audit(context, "totp.replay_refused", target_id=authenticator.user_id, authenticator_id=authenticator.id)


async def claim_email_code(keyring: Keyring, session: Session, authenticator: Authenticator, code: str) -> bool:
    """True when `code` is the live emailed code of this session and authenticator; consumes it."""
    challenge = await attempts.live_email_challenge(session.id, authenticator.id, now())
    if challenge is None:
        return False
    expected = codes.code_digest(keyring.digest_key, challenge_purpose(session.id, authenticator.id), code)
    if not codes.digest_matches(challenge.code_digest, expected):
        return False
    return await attempts.consume_email_challenge(challenge, now())


def challenge_purpose(session_id: int, authenticator_id: int) -> str:
    """What an email code of a sign-in (or removal) is bound to."""
    return f"challenge:{session_id}:{authenticator_id}"


def setup_purpose(setup: Setup) -> str:
    """What an email code of a set-up is bound to."""
    return f"setup:{setup.id}"


def _recovery_candidates(keyring: Keyring, user_id: int, raw: str) -> list[str] | None:
    normalized = codes.normalize_recovery_code(raw)
    if normalized is None:
        return None
    return list({codes.code_digest(key, f"recovery:{user_id}", normalized) for key in keyring.digest_keys})


async def claim_recovery_code(keyring: Keyring, user_id: int, raw: str, *, not_minted_by: int | None = None) -> bool:
    """True when `raw` is one of the user's unused recovery codes (and not one shown to the
    session `not_minted_by`); marks it used (once only)."""
    candidates = _recovery_candidates(keyring, user_id, raw)
    if candidates is None:
        return False
    return await attempts.claim_recovery_code(user_id, candidates, now(), not_minted_by=not_minted_by)


async def recovery_code_minted_by(keyring: Keyring, user_id: int, raw: str, session_id: int) -> bool:
    """Whether `raw` is one of the user's unused recovery codes that were shown to that session."""
    candidates = _recovery_candidates(keyring, user_id, raw)
    if candidates is None:
        return False
    return await attempts.recovery_code_minted_by(user_id, candidates, session_id)


def recovery_digest(keyring: Keyring, user_id: int, code: str) -> str:
    """The stored form of a new recovery code."""
    normalized = codes.normalize_recovery_code(code)
    assert normalized is not None
    return codes.code_digest(keyring.digest_key, f"recovery:{user_id}", normalized)


async def expire_if_due(setup: Setup) -> bool:
    """Mark an open set-up EXPIRED when its time is up; True when it is (now) expired."""
    if setup.status == SetupStatus.EXPIRED:
        return True
    if setup.status not in OPEN_SETUP_STATUSES or setup.expires_at > now():
        return False
    await expire_setup(str(setup.id))
    setup.status = SetupStatus.EXPIRED
    return True
