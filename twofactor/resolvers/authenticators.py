"""The user's authenticators: `myTwoFactor`, rename, remove; finding one, and checking a name."""

from __future__ import annotations

import strawberry

from twofactor.mail import messages
from twofactor.models import Authenticator, Method, Policy, User, account
from twofactor.models.request_reads import authenticator_of
from twofactor.models.two_factor import name_in_use, other_authenticators_count
from twofactor.resolvers.api_objects import METHOD_LABELS
from twofactor.resolvers.fresh_factor import notify_recovery_code_used, require_fresh_factor
from twofactor.resolvers.ids import parse_int_id
from twofactor.resolvers.notices import audit_note, audits_waits, notice_message, publish, session_channel, user_changed
from twofactor.schema import types
from twofactor.schema.errors import ErrorCode, Refused
from twofactor.security.names import clean_name, name_key
from twofactor.server.auth import FULL, require
from twofactor.server.context import RequestContext


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


def name_taken() -> Refused:
    """NAME_TAKEN: another of the user's authenticators has this name."""
    return Refused(ErrorCode.NAME_TAKEN, "You already have an authenticator with this name.", field="name")


def _last_authenticator() -> Refused:
    return Refused(
        ErrorCode.LAST_AUTHENTICATOR_REQUIRED,
        "Two-factor authentication is mandatory: add another authenticator before removing this one.",
    )


def authenticators_read(context: RequestContext) -> list[Authenticator] | None:
    """The user's authenticators as read with the session, for checks made before any change."""
    return context.factors_read[0] if context.factors_read is not None else None


async def name_or_refuse(
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
            raise name_taken()
        return name
    clash = await name_in_use(user.id, name_key(name), except_id)
    if clash:
        raise name_taken()
    return name


async def edit(context: RequestContext, authenticator_id: str, name: str) -> types.AuthenticatorPayload:
    """'Edit': rename one of the user's authenticators."""
    _, user = require(context, FULL)
    read = authenticators_read(context)
    row = await own_authenticator(user, authenticator_id, read=read)
    clean = await name_or_refuse(user, name, except_id=row.id, read=read)
    old = row.name
    renamed = audit_note(
        context, "authenticator.renamed", target_id=user.id, authenticator_id=row.id, old_name=old, new_name=clean
    )
    if not await account.rename_authenticator(row.id, clean, name_key(clean), renamed):
        raise name_taken()
    row.name = clean
    await user_changed(context, user.id)
    return types.AuthenticatorPayload(authenticator=types.Authenticator.of(row))


@audits_waits
async def remove(context: RequestContext, authenticator_id: str, code: str | None) -> types.RemovePayload:
    """Remove an authenticator: with a fresh factor, and never the last one while 2FA is mandatory."""
    session, user = require(context, FULL)
    row = await own_authenticator(user, authenticator_id)
    policy = await Policy.current()
    remaining = await other_authenticators_count(user.id, row.id)
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
