"""The database going away, as clients see it: HTTP 503 and a JSON GraphQL error.

A request that needs the database while it is down (PostgreSQL stopped or unreachable, or an
SQLite file another process holds the write lock of for longer than the busy timeout) gets
HTTP 503 with `Retry-After` and the GraphQL error SERVICE_UNAVAILABLE, whether it failed while
authenticating or inside a resolver. Which errors mean "down", and the process's record of it,
logged on the transitions only, are in models/health.py. See docs/faults.md.
"""

from __future__ import annotations

from typing import Final

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twofactor.models.health import DatabaseAvailability, database_unavailable
from twofactor.schema.errors import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE

# What a client is told to wait before trying again.
RETRY_AFTER_SECONDS: Final = 2
GRAPHQL_PATH: Final = "/graphql"


def unavailable_response() -> JSONResponse:
    """HTTP 503 with Retry-After and the GraphQL error SERVICE_UNAVAILABLE, as JSON."""
    body = {"data": None, "errors": [{"message": UNAVAILABLE_MESSAGE, "extensions": {"code": SERVICE_UNAVAILABLE}}]}
    return JSONResponse(
        body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    )


class Availability:
    """ASGI middleware: an HTTP request that failed because the database is unreachable gets 503 JSON,
    and while it is known to be, a GraphQL request gets it at once."""

    def __init__(self, app: ASGIApp, state: DatabaseAvailability) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.state.reachable and scope["path"] == GRAPHQL_PATH:
            await unavailable_response()(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as error:
            if started or not database_unavailable(error):
                raise
            self.state.lost(error)
            await unavailable_response()(scope, receive, send)
