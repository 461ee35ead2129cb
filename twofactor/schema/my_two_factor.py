"""The 'Your 2FA' page: the `MyTwoFactor` type, read by the `myTwoFactor` query and pushed by
the `myTwoFactorChanged` subscription (resolvers/subscriptions.py).

It is apart from the other types (schema/types.py) because its `setup` and `auditEvents`
fields run resolvers, and those build the other types: this module sits above them.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from twofactor.models import Method, Policy
from twofactor.resolvers.api_objects import TwoFactorRows, load_rows, method_enabled
from twofactor.resolvers.audit import own_audit_page
from twofactor.resolvers.setups import find_setup
from twofactor.schema import types
from twofactor.server.auth import SETTING_UP, require
from twofactor.server.context import RequestContext


@strawberry.type(description="The signed-in user's 2FA: the 'Your 2FA' page of the profile.")
class MyTwoFactor:
    enabled: bool = strawberry.field(description="At least one authenticator is set up.")
    mandatory: bool
    setup_required: bool = strawberry.field(description="Mandatory and none set up: the client must show set-up now.")
    available_methods: list[Method] = strawberry.field(description="The methods administrators have enabled.")
    authenticators: list[types.Authenticator]
    recovery_codes_remaining: int
    user_id: strawberry.Private[int]

    @strawberry.field(description="A set-up of this user's that is still in progress, else null.")
    async def setup(self, info: Info[Any, None], id: strawberry.ID) -> types.TwoFactorSetup | None:
        return await find_setup(info.context, self.user_id, id)

    @strawberry.field(description="The security events of the signed-in user's account, newest first.")
    async def audit_events(
        self, info: Info[Any, None], first: int = 20, after: str | None = None
    ) -> types.AuditEventPage:
        return await own_audit_page(info.context, user_id=self.user_id, first=first, after=after)

    @classmethod
    def of(cls, rows: TwoFactorRows, policy: Policy) -> MyTwoFactor:
        """The page from rows already read."""
        authenticators, remaining = rows.authenticators, rows.recovery_codes_remaining
        usable = any(method_enabled(policy, Method(a.method)) for a in authenticators)
        return cls(
            enabled=bool(authenticators),
            mandatory=policy.mandatory,
            # Authenticators of a method administrators turned off no longer count.
            setup_required=policy.mandatory and not usable,
            available_methods=types.TwoFactorPolicy.of(policy).enabled_methods,
            authenticators=types.Authenticator.list_of(list(authenticators)),
            recovery_codes_remaining=remaining if policy.recovery_codes_enabled else 0,
            user_id=rows.user_id,
        )


async def read_my_two_factor(context: RequestContext) -> MyTwoFactor:
    """`myTwoFactor` query."""
    _, user = require(context, SETTING_UP)
    # A query changes nothing: the authenticators read with the session are current.
    read = context.factors_read
    rows = TwoFactorRows(user.id, *read) if read is not None else await load_rows(user.id)
    return MyTwoFactor.of(rows, await Policy.current())
