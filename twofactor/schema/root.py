"""The root schema: queries, mutations, subscriptions, and the limits around them."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Mapping
from typing import Annotated, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from twofactor.resolvers import (
    admin,
    audit,
    auth,
    authenticators,
    complete_setup,
    ids,
    recovery_codes,
    security_keys,
    sessions,
    setups,
    subscriptions,
)
from twofactor.schema import types
from twofactor.schema.errors import Refused
from twofactor.schema.executor import OperationExecutor
from twofactor.schema.limits import OneCodeCheckPerOperation
from twofactor.schema.my_two_factor import MyTwoFactor, read_my_two_factor
from twofactor.schema.operation_checks import guarded_operations
from twofactor.server.auth import context_of, require_admin

P = TypeVar("P")

MAX_DEPTH = 10
MAX_TOKENS = 1000  # comments included; GraphiQL's introspection query has about 190
MAX_ALIASES = 15


FRESH_CODE = (
    "When the account has an authenticator and the session proved a factor too long ago "
    "(FRESH_CODE_REQUIRED): a current code from one of them, or a recovery code."
)
FRESH_CODE_NOT_OWN = (
    "When the session proved a factor too long ago (FRESH_CODE_REQUIRED): a current code from "
    "one of the user's authenticators, or a recovery code this session was not shown itself."
)


async def _answer(payload: type[P], work: Awaitable[P]) -> P:
    """Run a mutation; a Refused becomes the payload's `error`, with every data field null."""
    try:
        return await work
    except Refused as refusal:
        return payload(error=refusal.error)  # type: ignore[call-arg]


@strawberry.type
class AdminQueries:
    @strawberry.field(description="The audit log, newest first; filter by the user it concerns.")
    async def audit_events(
        self, info: Info, first: int = 20, after: str | None = None, user_id: strawberry.ID | None = None
    ) -> types.AuditEventPage:
        context = context_of(info)
        require_admin(context)
        target = ids.parse_int_id(user_id) if user_id is not None else None
        if user_id is not None and target is None:
            return types.AuditEventPage(events=[], next_cursor=None)
        try:
            return await audit.audit_page(context, user_id=target, first=first, after=after)
        except Refused as refusal:
            raise GraphQLError(refusal.error.message, extensions={"code": "BAD_REQUEST"}) from None

    @strawberry.field(description="The user with this sign-in email address, or null: find whom to reset.")
    async def user(self, info: Info, email: str) -> types.User | None:
        return await admin.find_user(context_of(info), email)


@strawberry.type
class Query:
    @strawberry.field(description="The current session, or null when not signed in.")
    async def session(self, info: Info) -> types.Session | None:
        return await auth.current_session(context_of(info))

    @strawberry.field
    async def two_factor_policy(self) -> types.TwoFactorPolicy:
        return await admin.read_policy()

    @strawberry.field
    async def my_two_factor(self, info: Info) -> MyTwoFactor:
        return await read_my_two_factor(context_of(info))

    @strawberry.field(description="Every device signed in to the account, the newest first (full sessions only).")
    async def my_sessions(self, info: Info) -> list[types.SignedInSession]:
        return await sessions.my_sessions(context_of(info))

    @strawberry.field(description="For administrators only (FORBIDDEN otherwise).")
    def admin(self, info: Info) -> AdminQueries:
        require_admin(context_of(info))
        return AdminQueries()


@strawberry.type(description="Set-up, code submission, edit and remove for the signed-in user.")
class MyTwoFactorMutations:
    @strawberry.mutation(
        description="'Set up email authentication' + 'Send Verification Code': mails a code to the login address."
    )
    async def set_up_email(
        self, info: Info, name: str, code: Annotated[str | None, strawberry.argument(description=FRESH_CODE)] = None
    ) -> types.SetupPayload:
        return await _answer(types.SetupPayload, setups.set_up_email(context_of(info), name, code))

    @strawberry.mutation
    async def resend_code(self, info: Info, setup_id: strawberry.ID) -> types.SetupPayload:
        return await _answer(types.SetupPayload, setups.resend_code(context_of(info), setup_id))

    @strawberry.mutation(description="'Set up authentication app': a new secret with its QR code and setup key.")
    async def set_up_app(
        self, info: Info, code: Annotated[str | None, strawberry.argument(description=FRESH_CODE)] = None
    ) -> types.SetupPayload:
        return await _answer(types.SetupPayload, setups.set_up_app(context_of(info), code))

    @strawberry.mutation(description="'Submit Code and Create'. For APP set-ups the name is given here.")
    async def submit_code(
        self, info: Info, setup_id: strawberry.ID, code: str, name: str | None = None
    ) -> types.SubmitCodePayload:
        work = complete_setup.submit_code(context_of(info), setup_id, code, name)
        return await _answer(types.SubmitCodePayload, work)

    @strawberry.mutation(description="'Add a security key': creation options for navigator.credentials.create.")
    async def set_up_security_key(
        self,
        info: Info,
        name: str,
        code: Annotated[str | None, strawberry.argument(description=FRESH_CODE)] = None,
    ) -> types.SetupPayload:
        work = security_keys.set_up_security_key(context_of(info), name, code)
        return await _answer(types.SetupPayload, work)

    @strawberry.mutation(
        description="The browser's credential (PublicKeyCredential.toJSON()) for that set-up; "
        "name overrides the set-up's."
    )
    async def submit_security_key(
        self, info: Info, setup_id: strawberry.ID, credential: strawberry.scalars.JSON, name: str | None = None
    ) -> types.SubmitCodePayload:
        work = security_keys.submit_security_key(context_of(info), setup_id, credential, name)
        return await _answer(types.SubmitCodePayload, work)

    @strawberry.mutation
    async def cancel_setup(self, info: Info, setup_id: strawberry.ID) -> types.SetupPayload:
        return await _answer(types.SetupPayload, setups.cancel_setup(context_of(info), setup_id))

    @strawberry.mutation(description="'Edit': rename an authenticator.")
    async def edit(self, info: Info, id: strawberry.ID, name: str) -> types.AuthenticatorPayload:
        return await _answer(types.AuthenticatorPayload, authenticators.edit(context_of(info), id, name))

    @strawberry.mutation(
        description="Remove an authenticator. When the session's last second factor is older\n"
        "than the policy allows, a current code from any of the user's authenticators\n"
        "(or a recovery code) must come with it."
    )
    async def remove(self, info: Info, id: strawberry.ID, code: str | None = None) -> types.RemovePayload:
        return await _answer(types.RemovePayload, authenticators.remove(context_of(info), id, code))

    @strawberry.mutation(description="A new set of recovery codes; the old set stops working.")
    async def regenerate_recovery_codes(
        self, info: Info, code: Annotated[str | None, strawberry.argument(description=FRESH_CODE_NOT_OWN)] = None
    ) -> types.RecoveryCodesPayload:
        work = recovery_codes.regenerate_recovery_codes(context_of(info), code)
        return await _answer(types.RecoveryCodesPayload, work)


@strawberry.type(description="For administrators only (FORBIDDEN otherwise).")
class AdminMutations:
    @strawberry.mutation
    async def set_two_factor_policy(self, info: Info, input: types.TwoFactorPolicyInput) -> types.PolicyPayload:
        return await _answer(types.PolicyPayload, admin.set_policy(context_of(info), input))

    @strawberry.mutation(
        description="For a user who lost access: removes all their authenticators and recovery codes "
        "and ends their sessions."
    )
    async def reset_user_two_factor(
        self,
        info: Info,
        user_id: strawberry.ID,
        code: Annotated[
            str | None,
            strawberry.argument(
                description="When the administrator has 2FA and their session proved a factor too long ago "
                "(FRESH_CODE_REQUIRED): a current code from one of their authenticators, or a recovery code."
            ),
        ] = None,
    ) -> types.ResetTwoFactorPayload:
        work = admin.reset_user_two_factor(context_of(info), user_id, code)
        return await _answer(types.ResetTwoFactorPayload, work)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def login(
        self,
        info: Info,
        email: str,
        password: str,
        device_token: Annotated[
            str | None,
            strawberry.argument(description="The `deviceToken` an earlier sign-in of this account gave this device."),
        ] = None,
    ) -> types.LoginPayload:
        return await _answer(types.LoginPayload, auth.login(context_of(info), email, password, device_token))

    @strawberry.mutation(
        description="EMAIL authenticators: mail a code, at a TWO_FACTOR_CHALLENGE or to confirm a removal."
    )
    async def send_login_code(self, info: Info, authenticator_id: strawberry.ID) -> types.SendLoginCodePayload:
        work = auth.send_login_code(context_of(info), authenticator_id)
        return await _answer(types.SendLoginCodePayload, work)

    @strawberry.mutation
    async def verify_login(self, info: Info, authenticator_id: strawberry.ID, code: str) -> types.VerifyLoginPayload:
        work = auth.verify_login(context_of(info), authenticator_id, code)
        return await _answer(types.VerifyLoginPayload, work)

    @strawberry.mutation
    async def verify_login_with_recovery_code(self, info: Info, code: str) -> types.VerifyLoginPayload:
        work = auth.verify_login_with_recovery_code(context_of(info), code)
        return await _answer(types.VerifyLoginPayload, work)

    @strawberry.mutation(
        description="At TWO_FACTOR_CHALLENGE: request options for the user's keys, for signing in.\n"
        "Signed in: the same, for proving a fresh second factor (before remove or regenerateRecoveryCodes)."
    )
    async def security_key_options(self, info: Info) -> types.SecurityKeyOptionsPayload:
        work = security_keys.security_key_options(context_of(info))
        return await _answer(types.SecurityKeyOptionsPayload, work)

    @strawberry.mutation(
        description="The assertion (PublicKeyCredential.toJSON()) for those options. At TWO_FACTOR_CHALLENGE it "
        "completes\nthe sign-in like verifyLogin (new token). Signed in, it makes the session's second factor fresh."
    )
    async def verify_login_with_security_key(
        self, info: Info, credential: strawberry.scalars.JSON
    ) -> types.VerifyLoginPayload:
        work = security_keys.verify_login_with_security_key(context_of(info), credential)
        return await _answer(types.VerifyLoginPayload, work)

    @strawberry.mutation
    async def logout(self, info: Info) -> types.LogoutPayload:
        return await auth.logout(context_of(info))

    @strawberry.mutation(description="Sign another of the user's devices out (an id from mySessions).")
    async def end_session(self, info: Info, id: strawberry.ID) -> types.EndSessionsPayload:
        return await _answer(types.EndSessionsPayload, sessions.end_one(context_of(info), id))

    @strawberry.mutation(description="Sign out every device but this one.")
    async def end_other_sessions(self, info: Info) -> types.EndSessionsPayload:
        return await _answer(types.EndSessionsPayload, sessions.end_others(context_of(info)))

    @strawberry.field
    def my_two_factor(self) -> MyTwoFactorMutations:
        return MyTwoFactorMutations()

    @strawberry.field
    def admin(self, info: Info) -> AdminMutations:
        require_admin(context_of(info))
        return AdminMutations()


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The set-up's state now, then again at every change; "
        "ends after VERIFIED, EXPIRED, LOCKED or CANCELLED."
    )
    async def my_two_factor_verification(
        self, info: Info, setup_id: strawberry.ID
    ) -> AsyncGenerator[types.TwoFactorSetup, None]:
        async for state in subscriptions.verification(context_of(info), setup_id):
            yield state

    @strawberry.subscription(description="The user's 2FA after every change made from any session or device.")
    async def my_two_factor_changed(self, info: Info) -> AsyncGenerator[MyTwoFactor, None]:
        async for state in subscriptions.changes(context_of(info)):
            yield state


class TwoFactorSchema(strawberry.Schema):
    """The schema; errors are logged by OperationChecks (masking), once, not again here."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Expected errors (validation, UNAUTHENTICATED, ...) are answers, not incidents.
        return None


def build_schema(*, introspection: bool, trusted: Mapping[str, str] | None = None) -> strawberry.Schema:
    """The schema with its limits: caches, depth, tokens, aliases, one code check, masked errors."""
    # The rule classes are made once: QueryDepthLimiter and MaxAliasesLimiter create a new
    # class per instance, and the validation cache is keyed by the rules, so a new class per
    # request would miss it every time (validation is most of a small request).
    rules = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
        OneCodeCheckPerOperation,
    ]
    return TwoFactorSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[guarded_operations(rules, max_tokens=MAX_TOKENS, introspection=introspection, trusted=trusted)],
        config=StrawberryConfig(disable_field_suggestions=not introspection),
        execution_context_class=OperationExecutor,
    )
