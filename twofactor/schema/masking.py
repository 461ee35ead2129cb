"""Unexpected errors: logged once with the request id, shown to the client only as that id."""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from twofactor.models.health import database_unavailable
from twofactor.schema.errors import PUBLIC_ERROR_CODES, unavailable_error

log = logging.getLogger("twofactor.errors")


def is_public(error: GraphQLError) -> bool:
    """Validation errors and our coded errors are shown as they are; anything else is masked."""
    if error.original_error is None:
        return True
    # A variable of the wrong type (no path: no resolver ran) is the client's mistake, not ours;
    # masking it would also log the submitted value, which may be a code.
    if error.path is None and isinstance(error.original_error, GraphQLError):
        return True
    return (error.extensions or {}).get("code") in PUBLIC_ERROR_CODES


class MaskUnexpectedErrors(MaskErrors):
    """MaskErrors that spares our UNAUTHENTICATED/FORBIDDEN/NOT_FOUND errors and names the request.

    An error that says the database is unreachable becomes SERVICE_UNAVAILABLE (logged once per
    outage by the services' `database` state, not once per request).
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    def _request_id(self) -> str:
        context = self.execution_context.context
        return str(getattr(context, "request_id", "-"))

    def _should_mask(self, error: GraphQLError) -> bool:
        if is_public(error):
            return False
        if database_unavailable(error.original_error):
            services = getattr(self.execution_context.context, "services", None)
            if services is not None and error.original_error is not None:
                services.database.lost(error.original_error)
            return True
        # The traceback names code locations only; our exceptions never carry secrets.
        log.error(
            "unexpected error (request %s) at %s: %s",
            self._request_id(),
            ".".join(str(p) for p in error.path or []) or "-",
            type(error.original_error).__name__,
            exc_info=error.original_error,
        )
        return True

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if database_unavailable(error.original_error):
            return unavailable_error(error)
        request_id = self._request_id()
        return GraphQLError(
            message=f"Unexpected error. Quote request {request_id} when reporting it.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )
