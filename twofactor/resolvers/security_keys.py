"""Security keys and passkeys (WebAuthn): set one up, sign in with it, prove a fresh factor with it.

The same lifecycle as the other methods: a set-up completed by `complete_setup`, the same
attempt accounting as a code, the same sign-in completion as `verifyLogin`. What is new is the
challenge (server-side, single use, bound to the set-up or the session) and the signature
counter: one that goes backwards suspends the key.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from strawberry.scalars import JSON

from twofactor.mail import messages
from twofactor.models import Method, Policy, Session, SessionState, Setup, User
from twofactor.models.security_keys import (
    KeyUse,
    NewSecurityKey,
    SecurityKey,
    WebAuthnChallenge,
    credential_registered,
    key_signed_in,
    replace_session_challenge,
    security_key_of_authenticator,
    security_keys_of,
    session_challenge,
    setup_challenge,
    suspend_security_key,
)
from twofactor.models.setups import TooManyOpenSetups, start_setup
from twofactor.resolvers import auth, code_checks
from twofactor.resolvers.api_objects import setup_view
from twofactor.resolvers.authenticators import authenticators_read, name_or_refuse, own_authenticator
from twofactor.resolvers.complete_setup import (
    CredentialTaken,
    challenge_gone,
    credential_taken,
    fail_setup,
    finish_setup,
    setup_completed,
)
from twofactor.resolvers.notices import audit, audit_note, audits_waits, notice_message, user_changed, wake_mail
from twofactor.resolvers.setups import (
    own_setup,
    require_fresh_to_add,
    require_method,
    require_open,
    require_room_for_setup,
    setup_changed,
    too_many_open,
)
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused
from twofactor.security import webauthn
from twofactor.security.rules import MAX_OPEN_SETUPS_PER_USER, WEBAUTHN_CHALLENGE_LIFETIME
from twofactor.server.auth import CHALLENGE, FULL, SETTING_UP, require
from twofactor.server.context import RequestContext, now

_CHALLENGE_OR_FULL = CHALLENGE | FULL
# How sign-ins and their audit rows name this method.
_HOW = str(Method.SECURITY_KEY)


def _not_verified(attempts_left: int | None) -> Refused:
    """The one answer to an attestation or assertion that does not verify."""
    message = "That security key could not be verified."
    if attempts_left is not None:
        message += f" {attempts_left} {'try' if attempts_left == 1 else 'tries'} left."
    return Refused(ErrorCode.INVALID_CODE, message, field="credential", attempts_left=attempts_left)


def _as_key_answer(refused: Refused) -> Refused:
    """A code check's refusal in a security key's words (a wrong code is a key that did not verify)."""
    if refused.error.code == ErrorCode.INVALID_CODE:
        return _not_verified(refused.error.attempts_left)
    return refused


def _suspended(attempts_left: int | None) -> Refused:
    return Refused(
        ErrorCode.INVALID_CODE,
        "This security key is suspended: its signature counter went backwards, so it may have been copied. "
        "Remove it and set up a new one.",
        field="credential",
        attempts_left=attempts_left,
    )


def _require_enabled(policy: Policy) -> None:
    require_method(policy, Method.SECURITY_KEY)


def _known(keys: list[SecurityKey]) -> list[webauthn.KnownCredential]:
    return [webauthn.KnownCredential(k.credential_id, tuple(t for t in k.transports.split(",") if t)) for k in keys]


@audits_waits
async def set_up_security_key(context: RequestContext, name: str, code: str | None = None) -> types.SetupPayload:
    """'Add a security key': a set-up with the creation options for navigator.credentials.create."""
    session, user = require(context, SETTING_UP)
    _require_enabled(await Policy.current())
    clean = await name_or_refuse(user, name, read=authenticators_read(context))
    await require_room_for_setup(user)  # before a code is checked: a refusal spends none
    await require_fresh_to_add(context, session, user, code)
    keys = await security_keys_of(user.id)
    # One handle per user: a key that stores several of this site's accounts tells them apart by it.
    handle = keys[0].user_handle if keys else webauthn.new_user_handle()
    challenge = webauthn.new_challenge()
    moment = now()
    settings = context.settings
    options = webauthn.creation_options(
        rp_id=settings.webauthn_rp_id,
        rp_name=settings.issuer,
        user_handle=handle,
        user_name=user.email,
        challenge=challenge,
        exclude=_known(keys),
    )
    # The set-up lasts as long as its challenge: the browser's prompt ends then too.
    expires = moment + WEBAUTHN_CHALLENGE_LIFETIME
    setup = Setup(id=uuid.uuid4(), user_id=user.id, method=Method.SECURITY_KEY, name=clean, expires_at=expires)
    stored = WebAuthnChallenge(
        user_id=user.id,
        setup_id=setup.id,
        challenge=challenge,
        options=json.dumps(options),
        created_at=moment,
        expires_at=expires,
    )
    started = audit_note(context, "setup.started", target_id=user.id, method=_HOW, setup_id=str(setup.id))
    outcome = await start_setup(
        setup, max_open=MAX_OPEN_SETUPS_PER_USER, moment=moment, audit=started, challenge=stored
    )
    if isinstance(outcome, TooManyOpenSetups):
        raise too_many_open(outcome.open_setups)
    await setup_changed(context, setup)
    return types.SetupPayload(setup=setup_view(setup, user, context.keyring, context.settings.issuer))


@audits_waits
async def submit_security_key(
    context: RequestContext, setup_id: str, credential: object, name: str | None
) -> types.SubmitCodePayload:
    """The browser's new credential for a SECURITY_KEY set-up: verified, it becomes an authenticator."""
    session, user = require(context, SETTING_UP)
    setup = await own_setup(user, setup_id)
    if setup.method != Method.SECURITY_KEY:
        raise Refused(ErrorCode.INVALID_INPUT, "This set-up is not for a security key.", field="setupId")
    policy = await Policy.current()
    _require_enabled(policy)
    challenge = await setup_challenge(setup.id)
    if challenge is None or challenge.used_at is not None:
        raise challenge_gone()
    await require_open(context, setup)
    if challenge.expires_at <= now():
        raise challenge_gone()
    final_name = await name_or_refuse(user, name or setup.name or "", read=authenticators_read(context))
    if not isinstance(credential, dict):
        raise Refused(ErrorCode.INVALID_INPUT, "Send the credential as PublicKeyCredential.toJSON() gives it.")
    # The try is counted before the check, as for a code: a failure is never answered for free.
    attempts_left = await code_checks.reserve_setup_and_user_attempt(setup, user, session)
    settings = context.settings
    registered = webauthn.verify_registration(
        credential, challenge=challenge.challenge, rp_id=settings.webauthn_rp_id, origins=settings.webauthn_origins
    )
    if registered is None:
        raise _as_key_answer(await fail_setup(context, setup, user, attempts_left))
    try:
        if await credential_registered(registered.credential_id):
            raise CredentialTaken
        made = await finish_setup(
            context,
            session,
            user,
            setup,
            name=final_name,
            step=0,
            policy=policy,
            counted=True,
            security_key=NewSecurityKey(
                challenge_id=challenge.id,
                challenge=challenge.challenge,
                credential_id=registered.credential_id,
                public_key=registered.public_key,
                sign_count=registered.sign_count,
                user_handle=_user_handle_of(challenge),
                aaguid=registered.aaguid,
                backup_eligible=registered.backup_eligible,
                backup_state=registered.backup_state,
                transports=",".join(registered.transports),
            ),
        )
    except CredentialTaken:
        raise await _taken(context, setup, user, attempts_left) from None
    await code_checks.device_code_passed(session)
    return await setup_completed(context, user, setup, made)


async def _taken(context: RequestContext, setup: Setup, user: User, attempts_left: int) -> Refused:
    """A credential registered already, found before the set-up's write or by it: a wrong answer
    (on the record, the set-up locked at its last try), told as "already registered". With
    attestation "none" anyone can make an answer that verifies, for any credential id: it proves
    nothing, so the try stays counted and the failures in a row go on."""
    failed = await fail_setup(context, setup, user, attempts_left, "credential_taken")
    if failed.error.code == ErrorCode.TOO_MANY_ATTEMPTS:
        return failed
    return credential_taken(attempts_left)


def _user_handle_of(challenge: WebAuthnChallenge) -> str:
    """The user handle the set-up's creation options gave the key."""
    options: dict[str, Any] = json.loads(challenge.options or "{}")
    return str(options["user"]["id"])


@audits_waits
async def security_key_options(context: RequestContext) -> types.SecurityKeyOptionsPayload:
    """Request options for the user's keys: at the challenge to sign in, signed in for a fresh factor.
    An earlier challenge of this session stops working."""
    session, user = require(context, _CHALLENGE_OR_FULL)
    _require_enabled(await Policy.current())
    usable = [k for k in await security_keys_of(user.id) if k.suspended_at is None]
    if not usable:
        raise Refused(ErrorCode.NOT_FOUND, "You have no security key that can be used.")
    challenge = webauthn.new_challenge()
    moment = now()
    expires = moment + WEBAUTHN_CHALLENGE_LIFETIME
    await replace_session_challenge(
        session_id=session.id, user_id=user.id, challenge=challenge, moment=moment, expires_at=expires
    )
    options = webauthn.request_options(rp_id=context.settings.webauthn_rp_id, challenge=challenge, allow=_known(usable))
    return types.SecurityKeyOptionsPayload(request_options=cast(JSON, options), expires_at=expires)


@audits_waits
async def verify_login_with_security_key(context: RequestContext, credential: object) -> types.VerifyLoginPayload:
    """An assertion for the session's challenge. At TWO_FACTOR_CHALLENGE it completes the sign-in
    as `verifyLogin` does; signed in, it makes the session's second factor fresh."""
    session, user = require(context, _CHALLENGE_OR_FULL)
    _require_enabled(await Policy.current())
    credential_id = webauthn.credential_id_of(credential)
    if credential_id is None or not isinstance(credential, dict):
        raise Refused(ErrorCode.INVALID_INPUT, "Send the credential as PublicKeyCredential.toJSON() gives it.")
    challenge = await session_challenge(session.id)
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now():
        raise challenge_gone()
    key = next((k for k in await security_keys_of(user.id) if k.credential_id == credential_id), None)
    signing_in = session.state == SessionState.CHALLENGE
    if signing_in:
        left, give_back = await auth.challenge_attempt(context, session, user)
    else:
        left, give_back = None, await code_checks.reserve_code_check(session, user)
    settings = context.settings
    asserted = (
        webauthn.verify_assertion(
            credential,
            challenge=challenge.challenge,
            rp_id=settings.webauthn_rp_id,
            origins=settings.webauthn_origins,
            public_key=key.public_key,
            backup_eligible=key.backup_eligible,
            user_handle=key.user_handle,
        )
        if key is not None
        else None
    )
    if key is None or asserted is None:
        raise await _failed(context, session, user, left)
    if key.suspended_at is not None:
        # Told only to the key itself (a credential id alone would learn it for free), as a wrong answer.
        raise _as_suspended(await _failed(context, session, user, left))
    if webauthn.counter_went_back(key.sign_count, asserted.sign_count):
        raise await _counter_went_back(context, session, user, key, left)
    moment = now()
    used = await key_signed_in(
        challenge_id=challenge.id,
        challenge=challenge.challenge,
        key=key,
        sign_count=asserted.sign_count,
        backup_state=asserted.backup_state,
        moment=moment,
        fresh_session_id=None if signing_in else session.id,
    )
    if used == KeyUse.COUNTER_BEHIND and await security_key_of_authenticator(key.authenticator_id) is not None:
        # A parallel sign-in got the counter to this one's first: seen one after the other, this
        # counter went backwards, and so it does now (the key is suspended, once).
        raise await _counter_went_back(context, session, user, key, left)
    if used != KeyUse.SIGNED_IN:
        # A parallel request used the challenge (or removed the key) first: this one checked nothing new.
        await give_back()
        raise challenge_gone()
    if signing_in:
        return await auth.challenge_passed(context, session, user, _HOW)
    await code_checks.code_check_passed(session, user)
    session.second_factor_at = moment
    await audit(context, "session.factor_refreshed", target_id=user.id, method=_HOW)
    return types.VerifyLoginPayload(session=types.Session.of(session, user))


async def _failed(context: RequestContext, session: Session, user: User, left: int | None) -> Refused:
    """A key that did not verify: at the challenge, as a wrong code there; signed in, as a wrong fresh code."""
    if left is not None:
        return _as_key_answer(await auth.challenge_failed(context, session, user, left, _HOW))
    await audit(context, "session.factor_refresh_failed", target_id=user.id, method=_HOW)
    return _not_verified(None)


async def _counter_went_back(
    context: RequestContext, session: Session, user: User, key: SecurityKey, left: int | None
) -> Refused:
    """A verified assertion whose counter went backwards: the key is suspended and the try counts
    as a wrong answer; its last try ends the sign-in (TOO_MANY_ATTEMPTS), as a wrong code's does."""
    await _suspend(context, user, key)
    return _as_suspended(await _failed(context, session, user, left))


def _as_suspended(failed: Refused) -> Refused:
    """A suspended key's answer, counted as a wrong one (`failed`): its last try ends the sign-in."""
    if failed.error.code == ErrorCode.TOO_MANY_ATTEMPTS:
        return failed
    return _suspended(failed.error.attempts_left)


async def _suspend(context: RequestContext, user: User, key: SecurityKey) -> None:
    """A counter that went backwards: the key is suspended, on the record, and the user is told."""
    authenticator = await own_authenticator(user, str(key.authenticator_id), read=authenticators_read(context))
    suspended = await suspend_security_key(
        key.id,
        now(),
        audit_note(context, "security_key.suspended", target_id=user.id, authenticator_id=key.authenticator_id),
        notice_message(
            context, user, messages.security_key_suspended(user.email, authenticator.name), "security_key_suspended"
        ),
    )
    if suspended:
        wake_mail(context)
        await user_changed(context, user.id)
