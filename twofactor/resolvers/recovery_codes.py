"""Recovery codes: a new set, with a fresh factor; the old set stops working."""

from __future__ import annotations

from twofactor.mail import messages
from twofactor.models import Policy, account
from twofactor.models.two_factor import has_two_factor
from twofactor.resolvers import code_checks
from twofactor.resolvers.fresh_factor import notify_recovery_code_used, require_fresh_factor
from twofactor.resolvers.notices import audit_note, audits_waits, notice_message, user_changed
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused
from twofactor.security import codes
from twofactor.server.auth import FULL, require
from twofactor.server.context import RequestContext


@audits_waits
async def regenerate_recovery_codes(context: RequestContext, code: str | None = None) -> types.RecoveryCodesPayload:
    """A new set of recovery codes, with a fresh factor as for a removal; the old set stops working."""
    session, user = require(context, FULL)
    if not (await Policy.current()).recovery_codes_enabled:
        raise Refused(ErrorCode.METHOD_DISABLED, "Recovery codes are turned off.")
    if not await has_two_factor(user.id):
        raise Refused(ErrorCode.INVALID_INPUT, "Set up two-factor authentication first.")
    # New codes are a factor: a session that could mint them without one could mint its way in.
    used_recovery_code = await require_fresh_factor(context, session, user, code)

    new = codes.new_recovery_codes()
    digests = [code_checks.recovery_digest(context.keyring, user.id, c) for c in new]

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
