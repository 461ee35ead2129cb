"""Errors: those the user can act on (values) and those that stop a request (GraphQL errors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import strawberry
from graphql import GraphQLError


@strawberry.enum
class ErrorCode(Enum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_CODE = "INVALID_CODE"
    CODE_EXPIRED = "CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    RATE_LIMITED = "RATE_LIMITED"
    METHOD_DISABLED = "METHOD_DISABLED"
    NOT_FOUND = "NOT_FOUND"
    NAME_TAKEN = "NAME_TAKEN"
    LAST_AUTHENTICATOR_REQUIRED = "LAST_AUTHENTICATOR_REQUIRED"
    FRESH_CODE_REQUIRED = strawberry.enum_value(
        "FRESH_CODE_REQUIRED",
        description="The session last proved a second factor too long ago: send `code` too.",
    )
    DELIVERY_FAILED = "DELIVERY_FAILED"
    CODE_ALREADY_USED = strawberry.enum_value(
        "CODE_ALREADY_USED",
        description="A right app code that was already used (each works once): wait `retryAfterSeconds` for the "
        "next one. Costs no try.",
    )


@strawberry.type(description="A problem the user can fix or wait out.")
class UserError:
    code: ErrorCode
    message: str = strawberry.field(description="Safe to show to the user as it is.")
    field: str | None = strawberry.field(default=None, description="The argument at fault, when there is one.")
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="When the same call may succeed again (rate limits, resend cooldown)."
    )
    attempts_left: int | None = strawberry.field(default=None, description="Codes left before the verification locks.")


@dataclass(frozen=True)
class Wait:
    """The wait a RATE_LIMITED refusal is part of: audited once (`action`), not at every refusal."""

    action: str
    key: str  # names what waits, e.g. "verify:user:7"
    until: datetime  # when it ends; with the key, names this wait
    target_id: int | None


class Refused(Exception):
    """Raised inside a resolver to answer with a UserError in the payload's `error` field."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        retry_after_seconds: int | None = None,
        attempts_left: int | None = None,
        wait: Wait | None = None,
    ) -> None:
        super().__init__(code.value)
        self.wait = wait
        self.error = UserError(
            code=code,
            message=message,
            field=field,
            retry_after_seconds=retry_after_seconds,
            attempts_left=attempts_left,
        )


# Codes of GraphQL errors that are shown as they are (everything else is masked).
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_REQUEST = "BAD_REQUEST"
NOT_FOUND = "NOT_FOUND"
# A per-user cap that is not a mutation's payload (live subscriptions).
RATE_LIMITED = "RATE_LIMITED"
PUBLIC_ERROR_CODES = frozenset({UNAUTHENTICATED, FORBIDDEN, BAD_REQUEST, NOT_FOUND, RATE_LIMITED})
# What a client is told while the database is down (with HTTP 503, see server/availability.py).
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The service is briefly unavailable. Try again shortly."


def unauthenticated(message: str = "Sign in first.") -> GraphQLError:
    return GraphQLError(message, extensions={"code": UNAUTHENTICATED})


def forbidden(message: str = "This session may not do that.") -> GraphQLError:
    return GraphQLError(message, extensions={"code": FORBIDDEN})


def bad_request(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": BAD_REQUEST})


def unavailable_error(error: GraphQLError | None = None) -> GraphQLError:
    """The GraphQL error a client sees while the database is down (no detail of the cause)."""
    return GraphQLError(
        UNAVAILABLE_MESSAGE,
        nodes=error.nodes if error else None,
        source=error.source if error else None,
        positions=error.positions if error else None,
        path=error.path if error else None,
        extensions={"code": SERVICE_UNAVAILABLE},
    )
