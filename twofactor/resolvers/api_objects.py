"""The API's objects built from stored rows: set-ups, `myTwoFactor`, policy events, sign-in choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import strawberry

from twofactor.models import Authenticator, Policy, Setup, User
from twofactor.models.request_reads import authenticators_and_codes_left
from twofactor.models.sessions import live_sessions_of
from twofactor.models.two_factor import OPEN_SETUP_STATUSES, Method, SetupStatus
from twofactor.resolvers.code_checks import secret_context
from twofactor.schema import types
from twofactor.security import qr, totp
from twofactor.security.keyring import Keyring
from twofactor.security.rules import ATTEMPTS_PER_VERIFICATION, TOTP_DIGITS, TOTP_PERIOD_SECONDS

# How the API and the mails name each method.
METHOD_LABELS = {Method.EMAIL: "Email", Method.APP: "Authenticator app", Method.SECURITY_KEY: "Security key"}


def forget_qr(setup_id: object) -> None:
    """Drop a finished set-up's QR codes from memory."""
    qr.forget(str(setup_id))


def app_details(setup: Setup, user: User, keyring: Keyring, issuer: str) -> types.AppSetupDetails:
    """The secret and URI of a pending APP set-up; its QR codes are rendered when selected."""
    assert setup.secret_encrypted is not None
    secret = keyring.decrypt(setup.secret_encrypted, secret_context(user.id))
    return types.AppSetupDetails(
        setup_key=totp.setup_key(secret),
        otpauth_uri=totp.otpauth_uri(secret, user.email, issuer),
        digits=TOTP_DIGITS,
        period=TOTP_PERIOD_SECONDS,
        qr_key=str(setup.id),
    )


def setup_view(setup: Setup, user: User, keyring: Keyring, issuer: str) -> types.TwoFactorSetup:
    """A set-up as the API shows it; the secret only while it is open."""
    is_open = setup.status in OPEN_SETUP_STATUSES
    show_app = setup.method == Method.APP and is_open
    return types.TwoFactorSetup(
        id=strawberry.ID(str(setup.id)),
        method=Method(setup.method),
        status=SetupStatus(setup.status),
        name=setup.name,
        email=setup.email,
        expires_at=setup.expires_at,
        attempts_left=max(0, ATTEMPTS_PER_VERIFICATION - setup.failed_attempts),
        resend_available_at=setup.resend_available_at if setup.method == Method.EMAIL else None,
        app=app_details(setup, user, keyring, issuer) if show_app else None,
    )


def method_enabled(policy: Policy, method: Method) -> bool:
    switches = {
        Method.EMAIL: policy.email_enabled,
        Method.APP: policy.app_enabled,
        Method.SECURITY_KEY: policy.security_key_enabled,
    }
    return switches[method]


@dataclass(frozen=True)
class TwoFactorRows:
    """What the 'Your 2FA' page reads of one user."""

    user_id: int
    authenticators: list[Authenticator]
    recovery_codes_remaining: int
    # The user's live sessions when the rows were read, where asked for (`with_sessions`).
    live_sessions: frozenset[int] | None = None


async def load_rows(user_id: int, *, with_sessions: bool = False) -> TwoFactorRows:
    """One query: the authenticators and the count of unused recovery codes; a second one for the
    user's live sessions `with_sessions`."""
    authenticators, remaining = await authenticators_and_codes_left(user_id)
    live = await live_sessions_of(user_id, datetime.now(UTC)) if with_sessions else None
    return TwoFactorRows(user_id, authenticators, remaining, live)


_POLICY_FIELDS = frozenset(
    {"mandatory", "email_enabled", "app_enabled", "security_key_enabled", "recovery_codes_enabled"}
)


def policy_event(policy: Policy) -> dict[str, object]:
    """A policy as carried by a live event, so subscribers need not read it back."""
    return {name: getattr(policy, name) for name in _POLICY_FIELDS}


def policy_from_event(data: object) -> Policy | None:
    """The policy a live event carries, or None when it carries none."""
    if not isinstance(data, dict) or set(data) != _POLICY_FIELDS:
        return None
    return Policy(**{key: bool(value) for key, value in data.items()})


# What a sign-in challenge shows of an authenticator in place of what it does not reveal
# (`createdAt` is non-null in the contract): the password alone must not tell when it was added.
UNDISCLOSED_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def masked_email(address: str) -> str:
    """An address with its local part hidden but its first character: a•••@example.com."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}•••{at}{domain}" if at else "•••"


def challenge_choices(authenticators: list[Authenticator]) -> list[types.Authenticator]:
    """The authenticators a sign-in challenge offers: what choosing one needs, nothing more.

    Id and method, a generic label (numbered when a method has several) for the user's own
    name, a masked address for EMAIL, no dates: the caller has proved only the password.
    """
    counts = {method: sum(1 for a in authenticators if a.method == method) for method in Method}
    seen = dict.fromkeys(Method, 0)
    choices = []
    for row in authenticators:
        method = Method(row.method)
        seen[method] += 1
        email = masked_email(row.email) if method == Method.EMAIL and row.email else None
        label = METHOD_LABELS[method]
        if email is not None:
            label = f"{label} to {email}"
        if counts[method] > 1:
            label = f"{label} ({seen[method]})"
        choices.append(
            types.Authenticator(
                id=strawberry.ID(str(row.id)),
                name=label,
                method=method,
                email=email,
                created_at=UNDISCLOSED_TIME,
                last_used_at=None,
            )
        )
    return choices
