"""`submitCode`: check a set-up's code and create its authenticator, in one transaction."""

from __future__ import annotations

from typing import Any

from twofactor.mail import messages
from twofactor.models import Authenticator, Method, Policy, Session, SessionState, Setup, SetupStatus, User
from twofactor.models.security_keys import NewSecurityKey
from twofactor.models.sessions import end_session
from twofactor.models.setups import (
    CompletedSetup,
    NewAuthenticator,
    SetupNotCompleted,
    complete_setup,
    lock_setup,
    note_setup_changed,
)
from twofactor.resolvers import code_checks
from twofactor.resolvers.api_objects import METHOD_LABELS, forget_qr, setup_view
from twofactor.resolvers.authenticators import authenticators_read, name_or_refuse, name_taken
from twofactor.resolvers.notices import (
    audit,
    audit_note,
    audits_waits,
    notice_message,
    publish,
    session_channel,
    user_changed,
)
from twofactor.resolvers.setups import own_setup, require_method, require_open, setup_changed
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused, unauthenticated
from twofactor.security import codes, totp
from twofactor.security.names import name_key
from twofactor.security.rules import (
    ATTEMPTS_PER_VERIFICATION,
    PENDING_SESSION_LIFETIME,
    RECOVERY_CODE_COUNT,
    SESSION_LIFETIME,
)
from twofactor.server.auth import SETTING_UP, require
from twofactor.server.context import RequestContext, now

SET_UP_MESSAGE = "Two-factor authentication is set up."


ADDED_MESSAGE = "The authenticator was added."


async def _check_setup_code(context: RequestContext, setup: Setup, code: str) -> int | None:
    """The TOTP step (APP) or 0 (EMAIL) when `code` is right, else None."""
    if setup.method == Method.APP:
        assert setup.secret_encrypted is not None
        secret = context.keyring.decrypt(setup.secret_encrypted, code_checks.secret_context(setup.user_id))
        return totp.matching_step(secret, code)
    expected = codes.code_digest(context.keyring.digest_key, code_checks.setup_purpose(setup), code)
    return 0 if setup.code_digest and codes.digest_matches(setup.code_digest, expected) else None


@audits_waits
async def submit_code(context: RequestContext, setup_id: str, code: str, name: str | None) -> types.SubmitCodePayload:
    """'Submit Code and Create': check the code and create the authenticator, in one transaction."""
    session, user = require(context, SETTING_UP)
    setup = await own_setup(user, setup_id)
    policy = await Policy.current()
    require_method(policy, Method(setup.method))
    if setup.method == Method.SECURITY_KEY:
        raise Refused(ErrorCode.INVALID_INPUT, "A security key is set up with submitSecurityKey.", field="setupId")
    await require_open(context, setup)
    if setup.method == Method.APP:
        if name is None:
            raise Refused(ErrorCode.INVALID_INPUT, "Give the authenticator a name.", field="name")
        final_name = await name_or_refuse(user, name, read=authenticators_read(context))
    else:
        final_name = await name_or_refuse(user, setup.name or "", read=authenticators_read(context))
    normalized = codes.normalize_code(code)
    if normalized is None:
        raise Refused(ErrorCode.INVALID_INPUT, "A code is 6 digits.", field="code")

    step = await _check_setup_code(context, setup, normalized)
    made = None
    if step is not None and code_checks.try_left_as_read(setup.failed_attempts, user):
        # A right code, with the set-up and the user as read: its writes check them again
        # instead of counting a try that they would forgive at once (two statements fewer).
        made = await finish_setup(
            context, session, user, setup, name=final_name, step=step, policy=policy, counted=False
        )
    if made is None:
        # Any other answer waits for the try to be counted. A user who must wait keeps the
        # set-up's try (RATE_LIMITED), whether the code was right or not.
        attempts_left = await code_checks.reserve_setup_and_user_attempt(setup, user, session)
        if step is None:
            raise await fail_setup(context, setup, user, attempts_left)
        made = await finish_setup(
            context, session, user, setup, name=final_name, step=step, policy=policy, counted=True
        )
        await code_checks.device_code_passed(session)
    forget_qr(setup.id)
    return await setup_completed(context, user, setup, made)


async def setup_completed(
    context: RequestContext, user: User, setup: Setup, made: _Finished | None
) -> types.SubmitCodePayload:
    """What every method's set-up answers once its authenticator exists: the live events and the payload."""
    assert made is not None  # with its try counted, a set-up is finished or refused
    authenticator, first, recovery = made
    setup.status = SetupStatus.VERIFIED
    await setup_changed(context, setup)
    await user_changed(context, user.id)
    return types.SubmitCodePayload(
        authenticator=types.Authenticator.of(authenticator),
        message=SET_UP_MESSAGE if first else ADDED_MESSAGE,
        recovery_codes=recovery,
        setup=setup_view(setup, user, context.keyring, context.settings.issuer),
    )


# The new authenticator (its id once stored), whether it is the user's first, the recovery codes to show.
_Finished = tuple[Authenticator, bool, list[str] | None]


async def finish_setup(
    context: RequestContext,
    session: Session,
    user: User,
    setup: Setup,
    *,
    name: str,
    step: int,
    policy: Policy,
    counted: bool,
    security_key: NewSecurityKey | None = None,
) -> _Finished | None:
    """Create the authenticator of a set-up whose code was right (`complete_setup`), with its
    refusals as answers. None when its try was not counted and the set-up or the user changed
    since they were read (the caller then counts the try like any other).

    `security_key`: a SECURITY_KEY set-up's verified credential, stored with the authenticator."""
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
            security_key=security_key,
        ),
        counted=counted,
        tries=ATTEMPTS_PER_VERIFICATION,
        recovery_digests=[code_checks.recovery_digest(context.keyring, user.id, c) for c in recovery]
        if recovery
        else None,
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
    if done == SetupNotCompleted.CREDENTIAL_TAKEN:
        raise CredentialTaken
    # The code was right, whatever else stopped the set-up: the failures in a row end.
    await code_checks.user_succeeded(user.id)
    if done == SetupNotCompleted.OUTDATED_SESSION:
        await end_session(user.id, session.id)
        await audit(context, "session.ended_outdated_setup", target_id=user.id)
        raise unauthenticated("Two-factor authentication was set up from another session: sign in again.")
    if done == SetupNotCompleted.NAME_TAKEN:
        raise name_taken()
    if done == SetupNotCompleted.CHALLENGE_USED:
        raise challenge_gone()
    raise code_checks.setup_ended()


class CredentialTaken(Exception):
    """A SECURITY_KEY set-up's credential is registered already (to this account or another):
    `submit_security_key` answers it, found before the set-up's write or by it."""


def credential_taken(attempts_left: int | None = None) -> Refused:
    """The answer to a security key that is registered already (to this account or another)."""
    return Refused(
        ErrorCode.INVALID_INPUT,
        "This security key is already registered.",
        field="credential",
        attempts_left=attempts_left,
    )


def challenge_gone() -> Refused:
    """The answer to a security key's response whose challenge expired, was used, or never was."""
    return Refused(ErrorCode.CODE_EXPIRED, "This security key request has expired. Start again.", field="credential")


async def fail_setup(
    context: RequestContext, setup: Setup, user: User, attempts_left: int, reason: str | None = None
) -> Refused:
    """A wrong code at set-up: lock the set-up at the limit; the answer to give. `reason`: for the
    audit row, when the answer was not simply wrong."""
    details: dict[str, Any] = {"setup_id": str(setup.id)} | ({"reason": reason} if reason else {})
    if attempts_left <= 0:
        await lock_setup(setup.id)
        await audit(context, "setup.locked", target_id=user.id, **details)
        await setup_changed(context, setup)
        return code_checks.setup_locked(attempts_left=0)
    await note_setup_changed(setup.id)
    await audit(context, "setup.code_failed", target_id=user.id, **details)
    await setup_changed(context, setup)
    return code_checks.invalid_code(attempts_left)
