"""Fresh-factor proof: a change that needs a recent second factor asks for a current code."""

from __future__ import annotations

from twofactor.mail import messages
from twofactor.models import Method, Policy, Session, User, attempts
from twofactor.models.mail_queue import queue_message
from twofactor.models.sessions import mark_second_factor_fresh
from twofactor.models.two_factor import authenticators_of
from twofactor.resolvers import code_checks
from twofactor.resolvers.api_objects import method_enabled
from twofactor.resolvers.notices import audit, notice_message, wake_mail
from twofactor.schema.errors import ErrorCode, Refused
from twofactor.security import codes
from twofactor.server.context import RequestContext, now


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
        raise code_checks.invalid_code(None)
    return proof == "recovery code"


async def notify_recovery_code_used(context: RequestContext, user: User) -> None:
    """Mail the user that a recovery code was used, with how many are left now."""
    remaining = await attempts.recovery_codes_left(user.id)
    await queue_message(
        notice_message(context, user, messages.recovery_codes_used(user.email, remaining), "recovery_code_used")
    )
    wake_mail(context)


async def prove_fresh_factor(context: RequestContext, session: Session, user: User, code: str) -> str | None:
    """A current code from any of the user's authenticators, or a recovery code: which one proved it."""
    normalized = codes.normalize_code(code)
    if normalized is None and codes.normalize_recovery_code(code) is None:
        # Neither a code nor a recovery code: checked against nothing, so it costs no try (as at sign-in).
        return None
    give_back = await code_checks.reserve_code_check(session, user)
    policy = await Policy.current()
    proved = by_recovery_code = False
    if normalized is not None:
        for candidate in await authenticators_of(user.id):
            if not method_enabled(policy, Method(candidate.method)):
                continue  # a method administrators turned off proves nothing, here as at sign-in
            if candidate.method == Method.SECURITY_KEY:
                continue  # a key has no code: it proves itself with verifyLoginWithSecurityKey
            if candidate.method == Method.APP:
                try:
                    proved = await code_checks.claim_totp(context, candidate, normalized)
                except code_checks.CodeAlreadyUsed as used:
                    # A right code used before: it costs no try, and gets its own answer.
                    await give_back()
                    raise used.refused from None
            else:
                proved = await code_checks.claim_email_code(context.keyring, session, candidate, normalized)
            if proved:
                break
    elif policy.recovery_codes_enabled:
        if await code_checks.recovery_code_minted_by(context.keyring, user.id, code, session.id):
            await audit(context, "session.factor_refresh_failed", target_id=user.id, reason="own_recovery_code")
            raise _own_recovery_code()
        proved = by_recovery_code = await code_checks.claim_recovery_code(
            context.keyring, user.id, code, not_minted_by=session.id
        )
    if proved:
        await code_checks.code_check_passed(session, user)
        session.second_factor_at = now()
        await mark_second_factor_fresh(session.id, session.second_factor_at)
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
