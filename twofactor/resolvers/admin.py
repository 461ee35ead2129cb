"""Administrators: the 2FA policy and resetting a user who lost access."""

from __future__ import annotations

from twofactor.mail import messages
from twofactor.mail.outbox import outbox_message
from twofactor.models import Method, Policy, User, account
from twofactor.models.request_reads import user_by_email
from twofactor.models.two_factor import has_two_factor, reseal_secrets
from twofactor.models.users import user_by_id
from twofactor.resolvers.api_objects import policy_event
from twofactor.resolvers.code_checks import secret_context
from twofactor.resolvers.fresh_factor import notify_recovery_code_used, require_fresh_factor
from twofactor.resolvers.ids import parse_int_id, storable_text
from twofactor.resolvers.notices import (
    NOTICE_DELIVERY_WINDOW,
    POLICY_CHANNEL,
    audit,
    audit_note,
    publish,
    session_channel,
    user_channel,
    wake_mail,
)
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused, forbidden
from twofactor.security.keyring import Keyring
from twofactor.server.auth import require_admin
from twofactor.server.context import RequestContext, now
from twofactor.server.events import Broker


async def read_policy() -> types.TwoFactorPolicy:
    """`twofactorPolicy`: public, the sign-in screen needs it."""
    return types.TwoFactorPolicy.of(await Policy.current())


async def find_user(context: RequestContext, email: str) -> types.User | None:
    """`admin.user(email)`: the account with this sign-in address, to reset it; null when none has it."""
    require_admin(context)
    address = email.strip().lower()
    if not address or len(address) > 254 or not storable_text(address):
        return None
    found = await user_by_email(address)
    return types.User.of(found) if found is not None else None


async def set_policy(context: RequestContext, change: types.TwoFactorPolicyInput) -> types.PolicyPayload:
    """Change the policy; applies at each user's next sign-in."""
    admin = require_admin(context)
    policy = await Policy.current(fresh=True)
    before = types.TwoFactorPolicy.of(policy)
    if change.enabled_methods is not None:
        methods = set(change.enabled_methods)
        if not methods:
            raise Refused(ErrorCode.INVALID_INPUT, "Enable at least one method.", field="enabledMethods")
        policy.email_enabled = Method.EMAIL in methods
        policy.app_enabled = Method.APP in methods
        if Method.SECURITY_KEY in methods and not context.settings.webauthn_origins:
            raise Refused(
                ErrorCode.INVALID_INPUT,
                "Security keys need the server's origins (TWOFACTOR_WEBAUTHN_ORIGINS) to be set first.",
                field="enabledMethods",
            )
        policy.security_key_enabled = Method.SECURITY_KEY in methods
    if change.mandatory is not None:
        policy.mandatory = change.mandatory
    if change.recovery_codes_enabled is not None:
        policy.recovery_codes_enabled = change.recovery_codes_enabled
    after = types.TwoFactorPolicy.of(policy)
    await account.change_policy(
        policy,
        audit_note(
            context,
            "policy.changed",
            target_id=None,
            actor_id=admin.id,
            before=_policy_dict(before),
            after=_policy_dict(after),
        ),
    )
    await publish(context, POLICY_CHANNEL, {"type": "changed", "policy": policy_event(policy)})
    return types.PolicyPayload(policy=after)


def _policy_dict(policy: types.TwoFactorPolicy) -> dict[str, object]:
    return {
        "mandatory": policy.mandatory,
        "enabledMethods": [m.value for m in policy.enabled_methods],
        "recoveryCodesEnabled": policy.recovery_codes_enabled,
    }


async def reset_two_factor(
    user: User, *, keyring: Keyring, context: RequestContext | None, actor_id: int | None
) -> list[int]:
    """Remove every authenticator, recovery code and set-up of `user`, end their sessions, tell them.

    Returns the ended sessions' ids, so the caller can end their live subscriptions.
    """

    return await account.reset_two_factor(
        user.id,
        audit_note(context, "two_factor.reset", target_id=user.id, actor_id=actor_id),
        outbox_message(
            messages.two_factor_reset(user.email),
            kind="two_factor_reset",
            keyring=keyring,
            deliver_before=now() + NOTICE_DELIVERY_WINDOW,
            user_id=user.id,
        ),
    )


async def reset_user_two_factor(
    context: RequestContext, user_id: str, code: str | None = None
) -> types.ResetTwoFactorPayload:
    """`admin.resetUserTwoFactor`: for a user who lost access, by another administrator, with a
    fresh factor when the administrator has 2FA (as removing an authenticator needs)."""
    admin = require_admin(context)
    parsed = parse_int_id(user_id)
    user = await user_by_id(parsed) if parsed is not None else None
    if user is None:
        raise Refused(ErrorCode.NOT_FOUND, "There is no such user.", field="userId")
    await _allow_reset(context, admin, user, code)
    ended = await reset_two_factor(user, keyring=context.keyring, context=context, actor_id=admin.id)
    await announce_reset(context.services.broker, user.id, ended)
    wake_mail(context)
    return types.ResetTwoFactorPayload(user=types.User.of(user))


async def announce_reset(broker: Broker, user_id: int, ended: list[int]) -> None:
    """Tell live subscribers of a reset: each ended session's stream ends, the user's pages reload."""
    for session_id in ended:
        await broker.publish(session_channel(session_id), {"type": "ended"})
    await broker.publish(user_channel(user_id), {"type": "changed"})


async def _allow_reset(context: RequestContext, admin: User, user: User, code: str | None) -> None:
    """Refuse (and audit) a reset of the administrator's own 2FA, one of another administrator by
    an administrator without 2FA, and one without a fresh factor from an administrator with 2FA.

    A self-reset would remove 2FA where `remove` refuses; the command line stays for break-glass.
    """
    session = context.session
    assert session is not None  # require_admin passed
    admin_has_two_factor = await has_two_factor(admin.id)
    refusal: Exception | None = None
    if user.id == admin.id:
        reason = "own_account"
        refusal = forbidden(
            "Administrators cannot reset their own 2FA: remove an authenticator on your 2FA page, "
            "or ask another administrator."
        )
    elif user.is_admin and not admin_has_two_factor:
        reason = "administrator_without_2fa"
        refusal = forbidden("Set up two-factor authentication before resetting another administrator's.")
    elif admin_has_two_factor:
        try:
            if await require_fresh_factor(context, session, admin, code):
                await notify_recovery_code_used(context, admin)
        except Refused as refused:
            reason, refusal = refused.error.code.value, refused
    if refusal is None:
        return
    await audit(context, "two_factor.reset_refused", target_id=user.id, actor_id=admin.id, reason=reason)
    raise refusal


async def rotate_secrets(keyring: Keyring) -> int:
    """Re-encrypt every stored TOTP secret made with an older key; how many were re-encrypted.

    After this, the older keys can leave TWOFACTOR_OLD_SECRET_KEYS. A concurrent change of a
    secret is never overwritten (`reseal_secrets`).
    """

    def reseal(user_id: int, sealed: str) -> str | None:
        if not keyring.needs_rotation(sealed):
            return None
        context = secret_context(user_id)
        return keyring.encrypt(keyring.decrypt(sealed, context), context)

    return await reseal_secrets(reseal)
