"""The GraphQL types of the API contract (the clients' contract, exported to schema.graphql) and additions."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from enum import Enum
from typing import TypeVar, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types.enum import has_enum_definition

from twofactor.models import Authenticator as AuthenticatorModel
from twofactor.models import Policy as PolicyModel
from twofactor.models import Session as SessionModel
from twofactor.models import User as UserModel
from twofactor.models.security_keys import (
    SecurityKey,
    security_key_of_authenticator,
    security_keys_of_authenticators,
    setup_challenge,
)
from twofactor.models.two_factor import OPEN_SETUP_STATUSES, DescribedEnum, Method, SetupStatus
from twofactor.schema.errors import UserError
from twofactor.security import qr

Described = TypeVar("Described", bound=type[DescribedEnum])


def api_enum(stored: Described, name: str) -> Described:
    """A stored enum exposed to the API as it is, under the API's name: its members are the API's
    values (no conversion either way), each described by its own `description`."""
    exposed: object = strawberry.enum(stored, name=name)
    assert has_enum_definition(exposed)
    for value in exposed.__strawberry_definition__.values:
        value.description = stored(value.value).description
    return stored


# The API's TwoFactorMethod and VerificationStatus are the stored enums (models/two_factor.py).
api_enum(Method, "TwoFactorMethod")
api_enum(SetupStatus, "VerificationStatus")


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
    enabled_methods: list[Method]
    recovery_codes_enabled: bool

    @classmethod
    def of(cls, policy: PolicyModel) -> TwoFactorPolicy:
        switches = (
            (Method.EMAIL, policy.email_enabled),
            (Method.APP, policy.app_enabled),
            (Method.SECURITY_KEY, policy.security_key_enabled),
        )
        methods = [m for m, on in switches if on]
        return cls(
            mandatory=policy.mandatory, enabled_methods=methods, recovery_codes_enabled=policy.recovery_codes_enabled
        )


@strawberry.type(description="What the API shows of a security key (an authenticator of method SECURITY_KEY).")
class SecurityKeyDetails:
    synced: bool = strawberry.field(
        description="A passkey that may sync between devices (backup-eligible flag); false: bound to one device."
    )
    backed_up: bool = strawberry.field(description="The credential is backed up now (backup-state flag).")
    aaguid: str | None = strawberry.field(
        description="The authenticator model's AAGUID; null when it gave none (all zeros)."
    )
    suspended_at: datetime | None = strawberry.field(
        description="Set when the key's signature counter went backwards: it can't be used again; "
        "remove it and set up a new one."
    )


class SecurityKeysOfList:
    """The security keys of one list of authenticators, read in one query when the first of them
    is asked for (a page with several keys makes one query, not one per key; none when no key
    is selected)."""

    def __init__(self, rows: list[AuthenticatorModel]) -> None:
        self._ids = [row.id for row in rows if row.method == Method.SECURITY_KEY]
        self._keys: dict[int, SecurityKey] | None = None
        self._lock = asyncio.Lock()

    async def of(self, authenticator_id: int) -> SecurityKey | None:
        async with self._lock:  # the list's items are resolved together: the first one reads
            if self._keys is None:
                self._keys = await security_keys_of_authenticators(self._ids)
        return self._keys.get(authenticator_id)


@strawberry.type
class Authenticator:
    id: strawberry.ID
    name: str
    method: Method
    email: str | None = strawberry.field(description="EMAIL: the address codes go to.")
    created_at: datetime
    last_used_at: datetime | None
    # The stored row's id, on the full view only (`of`): a sign-in challenge's choices show no key details.
    row_id: strawberry.Private[int | None] = None
    # Where the key details of the list this authenticator came in are read, if it came in one.
    keys_of_list: strawberry.Private[SecurityKeysOfList | None] = None

    @strawberry.field(description="SECURITY_KEY only, else null (and null at a sign-in challenge).")
    async def security_key(self) -> SecurityKeyDetails | None:
        if self.method != Method.SECURITY_KEY or self.row_id is None:
            return None
        if self.keys_of_list is not None:
            key = await self.keys_of_list.of(self.row_id)
        else:
            key = await security_key_of_authenticator(self.row_id)
        if key is None:
            return None
        return SecurityKeyDetails(
            synced=key.backup_eligible, backed_up=key.backup_state, aaguid=key.aaguid, suspended_at=key.suspended_at
        )

    @classmethod
    def of(cls, row: AuthenticatorModel, keys_of_list: SecurityKeysOfList | None = None) -> Authenticator:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            method=Method(row.method),
            email=row.email,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            row_id=row.id,
            keys_of_list=keys_of_list,
        )

    @classmethod
    def list_of(cls, rows: list[AuthenticatorModel]) -> list[Authenticator]:
        """A list of authenticators whose key details are read together."""
        keys = SecurityKeysOfList(rows)
        return [cls.of(row, keys) for row in rows]


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


@strawberry.type(description="What the browser needs to create a security key; on an unfinished SECURITY_KEY set-up.")
class SecurityKeySetupDetails:
    creation_options: strawberry.scalars.JSON = strawberry.field(
        description="PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3): "
        "PublicKeyCredential.parseCreationOptionsFromJSON takes it."
    )


@strawberry.type(description="A set-up in progress: from 'Set up ...' until 'Submit Code and Create'.")
class TwoFactorSetup:
    id: strawberry.ID
    method: Method
    status: SetupStatus
    name: str | None = strawberry.field(description="EMAIL: the name given when the code was requested.")
    email: str | None = strawberry.field(description="EMAIL: the login address the code was sent to.")
    expires_at: datetime
    attempts_left: int
    resend_available_at: datetime | None = strawberry.field(description="EMAIL: when resendCode will be accepted.")
    app: AppSetupDetails | None

    @strawberry.field(description="An unfinished SECURITY_KEY set-up, else null.")
    async def security_key(self) -> SecurityKeySetupDetails | None:
        if self.method != Method.SECURITY_KEY or self.status not in OPEN_SETUP_STATUSES:
            return None
        challenge = await setup_challenge(uuid.UUID(str(self.id)))
        if challenge is None or challenge.options is None:
            return None
        return SecurityKeySetupDetails(creation_options=cast(JSON, json.loads(challenge.options)))


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
class SecurityKeyOptionsPayload:
    request_options: strawberry.scalars.JSON | None = strawberry.field(
        default=None,
        description="PublicKeyCredentialRequestOptionsJSON: PublicKeyCredential.parseRequestOptionsFromJSON takes it.",
    )
    expires_at: datetime | None = None
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
    enabled_methods: list[Method] | None = None
    recovery_codes_enabled: bool | None = None


@strawberry.type
class PolicyPayload:
    policy: TwoFactorPolicy | None = None
    error: UserError | None = None


@strawberry.type
class ResetTwoFactorPayload:
    user: User | None = None
    error: UserError | None = None
