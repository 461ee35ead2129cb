"""What is stored: users, sessions, authenticators, set-ups, codes, policy, audit, outbox."""

from twofactor.models.audit import AuditedWait, AuditEvent
from twofactor.models.devices import KnownDevice
from twofactor.models.outbox import OutboxMessage, OutboxStatus
from twofactor.models.policy import Policy
from twofactor.models.security_keys import SecurityKey, WebAuthnChallenge
from twofactor.models.throttles import LoginThrottle
from twofactor.models.two_factor import (
    Authenticator,
    EmailChallenge,
    Method,
    RecoveryCode,
    Setup,
    SetupStatus,
)
from twofactor.models.users import Session, SessionState, User

__all__ = [
    "AuditEvent",
    "AuditedWait",
    "Authenticator",
    "EmailChallenge",
    "KnownDevice",
    "LoginThrottle",
    "Method",
    "OutboxMessage",
    "OutboxStatus",
    "Policy",
    "RecoveryCode",
    "SecurityKey",
    "Session",
    "SessionState",
    "Setup",
    "SetupStatus",
    "User",
    "WebAuthnChallenge",
]

MODEL_MODULES = ["twofactor.models"]
