"""The GraphQL types of the API contract (the clients' contract, exported to schema.graphql) and additions."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.types import Info

from twofactor.schema.errors import UserError
from twofactor.security import qr

if TYPE_CHECKING:
    from twofactor.models import Authenticator as AuthenticatorModel
    from twofactor.models import Policy as PolicyModel
    from twofactor.models import Session as SessionModel
    from twofactor.models import User as UserModel


@strawberry.enum
class TwoFactorMethod(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="A code mailed to the address the user signs in with.")
    APP = strawberry.enum_value("APP", description="A time-based code (RFC 6238) from an authenticator app.")


@strawberry.enum(description="Where a sign-in stands after the password.")
class LoginStep(Enum):
    DONE = strawberry.enum_value("DONE", description="Signed in: the session may use the whole API.")
    TWO_FACTOR_CHALLENGE = strawberry.enum_value(
        "TWO_FACTOR_CHALLENGE",
        description="The user has 2FA: verify a code with verifyLogin before anything else.",
    )
    TWO_FACTOR_SETUP = strawberry.enum_value(
        "TWO_FACTOR_SETUP",
        description="2FA is mandatory and the user has none: the session may only set one up.",
    )


@strawberry.enum
class VerificationStatus(Enum):
    PENDING = "PENDING"
    CODE_SENT = "CODE_SENT"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    VERIFIED = "VERIFIED"
    EXPIRED = "EXPIRED"
    LOCKED = "LOCKED"
    CANCELLED = "CANCELLED"


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    name: str
    is_admin: bool

    @classmethod
    def of(cls, user: UserModel) -> User:
        return cls(id=strawberry.ID(str(user.id)), email=user.email, name=user.name, is_admin=user.is_admin)


@strawberry.type
class Session:
    user: User
    next_step: LoginStep
    expires_at: datetime
    authenticators: list[Authenticator] | None = strawberry.field(
        default=None,
        description="When nextStep is TWO_FACTOR_CHALLENGE: the authenticators to choose from "
        "(also for a session the account's first authenticator moved to the challenge).",
    )

    @classmethod
    def of(cls, session: SessionModel, user: UserModel) -> Session:
        """The session as its holder sees it. Until the sign-in is DONE, `isAdmin` is false:
        a password alone must not tell whether the account is an administrator's."""
        step = cls.step_of(session)
        shown = User.of(user)
        if step != LoginStep.DONE:
            shown.is_admin = False
        return cls(user=shown, next_step=step, expires_at=session.expires_at)

    @staticmethod
    def step_of(session: SessionModel) -> LoginStep:
        """Where the session stands (its state, as the account makes it)."""
        steps = {"challenge": LoginStep.TWO_FACTOR_CHALLENGE, "setup": LoginStep.TWO_FACTOR_SETUP}
        return steps.get(str(session.state), LoginStep.DONE)


@strawberry.type(description="A device signed in to the user's account (`mySessions`).")
class SignedInSession:
    id: strawberry.ID
    device: str = strawberry.field(description="Browser and system as its user agent says, e.g. 'Firefox on Linux'.")
    ip: str | None = strawberry.field(description="The address it signed in from.")
    created_at: datetime = strawberry.field(description="When it signed in.")
    last_seen_at: datetime = strawberry.field(description="Its last request, to the minute.")
    current: bool = strawberry.field(description="True for the session asking.")
    next_step: LoginStep = strawberry.field(
        description="DONE, or a sign-in that still owes its second factor (or a set-up)."
    )


@strawberry.type(description="The administrators' 2FA settings; readable by anyone (the login screen needs them).")
class TwoFactorPolicy:
    mandatory: bool
    enabled_methods: list[TwoFactorMethod]
    recovery_codes_enabled: bool

    @classmethod
    def of(cls, policy: PolicyModel) -> TwoFactorPolicy:
        methods = [
            m
            for m, on in ((TwoFactorMethod.EMAIL, policy.email_enabled), (TwoFactorMethod.APP, policy.app_enabled))
            if on
        ]
        return cls(
            mandatory=policy.mandatory, enabled_methods=methods, recovery_codes_enabled=policy.recovery_codes_enabled
        )


@strawberry.type
class Authenticator:
    id: strawberry.ID
    name: str
    method: TwoFactorMethod
    email: str | None = strawberry.field(description="EMAIL: the address codes go to.")
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: AuthenticatorModel) -> Authenticator:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            method=TwoFactorMethod(str(row.method)),
            email=row.email,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
        )


def _qr_code_svg(self: AppSetupDetails) -> str:
    """Rendered when selected, once per set-up."""
    return qr.cached(self.qr_key, self.otpauth_uri, "svg")


def _qr_code_png(self: AppSetupDetails) -> str:
    """Rendered when selected, once per set-up."""
    return qr.cached(self.qr_key, self.otpauth_uri, "png")


@strawberry.type(description="What an authenticator app needs; present only on an APP set-up that is not finished.")
class AppSetupDetails:
    setup_key: str = strawberry.field(description="The secret in base32, for typing into the app by hand.")
    otpauth_uri: str = strawberry.field(
        description="otpauth://totp/... with issuer, account, digits, period, algorithm."
    )
    qr_code_svg: str = strawberry.field(
        resolver=_qr_code_svg,
        description="The QR code of otpauthUri as an SVG document.",
    )
    qr_code_png: str = strawberry.field(
        resolver=_qr_code_png,
        description="The QR code of otpauthUri as a data:image/png;base64 URI.",
    )
    digits: int
    period: int
    # The set-up's id: its QR codes are rendered only when selected, once per set-up.
    qr_key: strawberry.Private[str]


@strawberry.type(description="A set-up in progress: from 'Set up ...' until 'Submit Code and Create'.")
class TwoFactorSetup:
    id: strawberry.ID
    method: TwoFactorMethod
    status: VerificationStatus
    name: str | None = strawberry.field(description="EMAIL: the name given when the code was requested.")
    email: str | None = strawberry.field(description="EMAIL: the login address the code was sent to.")
    expires_at: datetime
    attempts_left: int
    resend_available_at: datetime | None = strawberry.field(description="EMAIL: when resendCode will be accepted.")
    app: AppSetupDetails | None


@strawberry.type(description="One security event of the audit log (no secret is ever in it).")
class AuditEvent:
    id: strawberry.ID
    action: str
    created_at: datetime
    actor_id: strawberry.ID | None
    target_id: strawberry.ID | None
    ip: str | None
    user_agent: str | None
    details: strawberry.scalars.JSON


@strawberry.type(description="A page of audit events, newest first.")
class AuditEventPage:
    events: list[AuditEvent]
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null at the end.")


@strawberry.type(description="The signed-in user's 2FA: the 'Your 2FA' page of the profile.")
class MyTwoFactor:
    enabled: bool = strawberry.field(description="At least one authenticator is set up.")
    mandatory: bool
    setup_required: bool = strawberry.field(description="Mandatory and none set up: the client must show set-up now.")
    available_methods: list[TwoFactorMethod] = strawberry.field(description="The methods administrators have enabled.")
    authenticators: list[Authenticator]
    recovery_codes_remaining: int
    user_id: strawberry.Private[int]

    @strawberry.field(description="A set-up of this user's that is still in progress, else null.")
    async def setup(self, info: Info[Any, None], id: strawberry.ID) -> TwoFactorSetup | None:
        # Imported here: the resolvers import these types.
        from twofactor.resolvers.setups import find_setup

        return await find_setup(info.context, self.user_id, id)

    @strawberry.field(description="The security events of the signed-in user's account, newest first.")
    async def audit_events(self, info: Info[Any, None], first: int = 20, after: str | None = None) -> AuditEventPage:
        from twofactor.resolvers.audit import own_audit_page

        return await own_audit_page(info.context, user_id=self.user_id, first=first, after=after)


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(
        default=None, description="Bearer token for the Authorization header; also set as an HttpOnly cookie."
    )
    session: Session | None = None
    authenticators: list[Authenticator] | None = strawberry.field(
        default=None, description="When nextStep is TWO_FACTOR_CHALLENGE: the authenticators to choose from."
    )
    device_token: str | None = strawberry.field(
        default=None,
        description="This device's token for this account (also an HttpOnly cookie): pass it to the next `login` "
        "so that others' wrong passwords and codes do not slow this device down. Keep it like a password.",
    )
    error: UserError | None = None


@strawberry.type
class SendLoginCodePayload:
    expires_at: datetime | None = None
    resend_available_at: datetime | None = None
    error: UserError | None = None


@strawberry.type
class VerifyLoginPayload:
    token: str | None = strawberry.field(
        default=None,
        description="The session's new Bearer token (the one from login stops working); also set as the cookie.",
    )
    session: Session | None = None
    error: UserError | None = None


@strawberry.type
class EndSessionsPayload:
    ended_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The sessions ended; their devices are signed out at once."
    )
    error: UserError | None = None


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.type
class SetupPayload:
    setup: TwoFactorSetup | None = None
    error: UserError | None = None


@strawberry.type
class SubmitCodePayload:
    authenticator: Authenticator | None = None
    message: str | None = strawberry.field(
        default=None, description="The confirmation to show, e.g. 'Two-factor authentication is set up.'"
    )
    recovery_codes: list[str] | None = strawberry.field(
        default=None,
        description="Shown once, when the first authenticator is created and recovery codes are enabled.",
    )
    setup: TwoFactorSetup | None = strawberry.field(
        default=None, description="Status and attempts left after this submission."
    )
    error: UserError | None = None


@strawberry.type
class AuthenticatorPayload:
    authenticator: Authenticator | None = None
    error: UserError | None = None


@strawberry.type
class RemovePayload:
    removed_id: strawberry.ID | None = None
    error: UserError | None = None


@strawberry.type
class RecoveryCodesPayload:
    recovery_codes: list[str] | None = None
    error: UserError | None = None


@strawberry.input
class TwoFactorPolicyInput:
    mandatory: bool | None = None
    enabled_methods: list[TwoFactorMethod] | None = None
    recovery_codes_enabled: bool | None = None


@strawberry.type
class PolicyPayload:
    policy: TwoFactorPolicy | None = None
    error: UserError | None = None


@strawberry.type
class ResetTwoFactorPayload:
    user: User | None = None
    error: UserError | None = None
