"""The Starlette application: GraphQL over HTTP and WebSocket, health, CORS, body limit."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message as WSMessage
from tortoise.contrib.starlette import RegisterTortoise

from twofactor.models.health import DatabaseUnavailable, database_unavailable, select_one
from twofactor.models.policy import security_keys_enabled
from twofactor.models.request_reads import session_with_user
from twofactor.schema.errors import SERVICE_UNAVAILABLE, unavailable_error
from twofactor.schema.operation_checks import parse_document
from twofactor.schema.root import MAX_TOKENS, build_schema
from twofactor.server.availability import Availability
from twofactor.server.context import (
    RequestContext,
    Services,
    authenticate,
    bearer_token,
    client_ip,
    follow_account,
    now,
    origin_allowed,
    request_token,
    settle_seen,
)
from twofactor.server.database import apply_migrations, tortoise_config
from twofactor.server.housekeeping import Housekeeper
from twofactor.server.mail_worker import mail_wake_sender, outbox_worker, process_services
from twofactor.server.settings import Settings, load_settings, require_security_key_origins
from twofactor.server.shutdown import GOING_AWAY, close_sockets_before_exit
from twofactor.server.web import SecurityHeaders, graphiql_page, static_files, web_client

log = logging.getLogger("twofactor")

MAX_BODY_BYTES = 1024 * 1024
MAX_SUBSCRIPTIONS_PER_CONNECTION = 5


class BodyLimit:
    """Refuse request bodies over the limit with 413, whether Content-Length says so or not."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"errors": [{"message": "The request body is too large."}]}, status_code=413)
    await response(scope, receive, send)


def _well_formed(message: dict[str, Any]) -> bool:
    """A graphql-transport-ws message whose payload has the types the protocol says."""
    payload = message.get("payload")
    if message.get("type") != "subscribe":
        return payload is None or isinstance(payload, dict)
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("operationName"), str | None)
        and isinstance(payload.get("variables"), dict | None)
        and isinstance(payload.get("extensions"), dict | None)
    )


class SessionCheckingWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """Re-reads the connection's session before each operation: a WebSocket outlives a logout or a reset."""

    async def handle(self) -> None:
        """Strawberry's, with the socket known to the process while it lasts (closed with 1001 at shutdown)."""
        sockets = self.context.services.sockets
        if sockets.closing:
            await self.websocket.close(code=GOING_AWAY, reason="Server shutting down")
            return
        sockets.add(self.websocket)
        try:
            await super().handle()
        finally:
            sockets.discard(self.websocket)

    async def handle_message(self, message: WSMessage) -> None:
        """Refuse (4400) messages of the wrong shape that strawberry would crash on."""
        if not isinstance(message, dict) or not _well_formed(dict(message)):
            await self.handle_invalid_message("Failed to parse message")
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        """Strawberry's, but a database outage closes with 1013 (try again later), not an internal error."""
        try:
            await super().handle_connection_init(message)
        except Exception as error:
            if not database_unavailable(error):
                raise
            self.context.services.database.lost(error)
            await self.websocket.close(code=1013, reason="Service briefly unavailable")

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        context = self.context
        # Read at connection_init, maybe long ago: each operation reads what it needs afresh.
        context.factors_read = None
        if context.session is not None:
            try:
                if not context.services.database.reachable:  # until its probe finds it back
                    raise DatabaseUnavailable
                fresh = await session_with_user(context.session.token_hash)
            except Exception as error:
                if not database_unavailable(error):
                    raise
                # This operation fails; the socket and its other subscriptions go on.
                context.services.database.lost(error)
                payload = [unavailable_error().formatted]
                await operation.send_operation_message({"id": operation.id, "type": "error", "payload": payload})
                self.operations.pop(operation.id, None)
                return
            alive = fresh is not None and fresh.expires_at > now()
            if fresh is not None and alive:
                await follow_account(fresh)
            context.session = fresh if alive else None
            context.user = fresh.user if fresh is not None and alive else None
        await super().run_operation(operation)


def _is_subscription(query: str | None, operation_name: str | None) -> bool:
    """Whether the operation a request runs is a subscription (parsed only when it may be one)."""
    if not query or "subscription" not in query:
        return False
    try:
        # The schema's parse: its limits, and its cache, which the operation checks then find this document in.
        document = parse_document(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False  # strawberry answers the syntax error (or the size) itself
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


class TwoFactorGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our context, auth at connection_init and no-store answers."""

    graphql_transport_ws_handler_class = SessionCheckingWSHandler

    def __init__(self, services: Services, **kwargs: Any) -> None:
        self.services = services
        super().__init__(**kwargs)

    def decode_json(self, data: str | bytes) -> object:
        """JSON that is an object or a list; anything else reads as malformed (400, or 4400 on a socket)."""
        try:
            parsed = json.loads(data)
        except (UnicodeDecodeError, RecursionError):
            raise json.JSONDecodeError("not UTF-8 JSON of a sane depth", "", 0) from None
        if not isinstance(parsed, dict | list):
            raise json.JSONDecodeError("a GraphQL request is a JSON object", "", 0)
        return parsed

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry's parsing, refusing subscriptions over HTTP with a clear 400."""
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            if _is_subscription(item.query, item.operation_name):
                raise HTTPException(400, "Subscriptions run over a WebSocket at /graphql (graphql-transport-ws).")
        return data

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> RequestContext:
        settings = self.services.settings
        context = RequestContext(
            services=self.services,
            connection=request,
            response=response if isinstance(response, Response) else None,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
        if isinstance(request, Request):
            await authenticate(context, request_token(request, settings), defer_seen=True)
        return context

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: Any,
        context: RequestContext,
        root_value: Any,
        sub_response: Any,
    ) -> Any:
        """Strawberry's, then the "last seen" the request still owes (`settle_seen`)."""
        try:
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        finally:
            await settle_seen(context)

    async def on_ws_connect(self, context: RequestContext) -> Any:
        """Authenticate at connection_init: a Bearer token in the payload, or the session cookie."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer_token(raw) if isinstance(raw, str) else None
        if token is None:
            token = context.connection.cookies.get("twofactor_session")
        await authenticate(context, token)
        if context.session is None:
            raise ConnectionRejectionError({"message": "Sign in first."})
        return None

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL from the package's files instead of strawberry's page, which loads them from a CDN."""
        return graphiql_page()

    async def process_result(self, request: Any, result: Any) -> Any:
        """Strawberry's, but a result that met the database down becomes the 503 answer (see Availability)."""
        for error in result.errors or ():
            if (error.extensions or {}).get("code") == SERVICE_UNAVAILABLE:
                raise DatabaseUnavailable
        return await super().process_result(request, result)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        # Set-ups carry secrets; nothing this API answers may be cached.
        response.headers["Cache-Control"] = "no-store"
        return response


class WebSocketOrigin:
    """Refuse WebSocket upgrades from origins the deployment does not trust (before any frame)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not origin_allowed(WebSocket(scope, receive, send), self.settings):
            await send({"type": "websocket.close", "code": 4403, "reason": "Origin not allowed"})
            return
        await self.app(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, migrate: bool = True, run_worker: bool = True, served: bool = False
) -> Starlette:
    """The whole service. `migrate` applies migrations at start-up; `run_worker` sends mail (unless
    the settings leave it to `twofactor worker`); `served`: run by uvicorn, whose exit signals
    close the WebSockets first (server/shutdown.py)."""
    settings = settings or load_settings()
    services = process_services(settings)
    graphql = TwoFactorGraphQL(
        services,
        schema=build_schema(introspection=settings.introspection, trusted=settings.trusted_documents),
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        # Strawberry checks the Origin too (after WebSocketOrigin): it must trust the same origins.
        allowed_origins=list(settings.cors_origins),
    )

    async def healthz(_: Request) -> Response:
        """Each part's state; 503 only when the database is unreachable (the process cannot serve)."""
        events = "ok" if services.broker.connected else "degraded"
        try:
            if not services.database.reachable:  # until its probe finds it back
                raise DatabaseUnavailable
            await select_one()
        except Exception as error:
            if database_unavailable(error):
                services.database.lost(error)
            else:
                log.warning("health check failed: %s", type(error).__name__)
            parts = {"status": "unavailable", "database": "unreachable", "events": events}
            return JSONResponse(parts, status_code=503, headers={"Cache-Control": "no-store"})
        status = "ok" if events == "ok" else "degraded"
        parts = {"status": status, "database": "ok", "events": events}
        return JSONResponse(parts, headers={"Cache-Control": "no-store"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await apply_migrations(settings.database_url)
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            if settings.production and not settings.webauthn_origins:
                require_security_key_origins(settings, await security_keys_enabled())
            await services.broker.start()
            worker = None
            if run_worker and settings.serve_sends_mail:
                worker = outbox_worker(services)
                services.outbox = worker
                worker.start()
            else:
                services.mail_wake = mail_wake_sender(services)
            housekeeper = Housekeeper(settings.audit_retention)
            services.housekeeper = housekeeper
            housekeeper.start()
            # Everything loaded at start-up lives as long as the process: keep it out of GC passes.
            gc.collect()
            gc.freeze()
            undo_signals = close_sockets_before_exit(services.sockets) if served else None
            try:
                yield
            finally:
                await housekeeper.stop()
                if undo_signals is not None:
                    undo_signals()
                if worker is not None:
                    await worker.stop()
                    services.outbox = None
                if services.mail_wake is not None:
                    await services.mail_wake.stop()
                    services.mail_wake = None
                await services.broker.stop()
                await services.database.close()

    middleware = [Middleware(SecurityHeaders), Middleware(BodyLimit), Middleware(WebSocketOrigin, settings=settings)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_credentials=True,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )
    # Innermost, so its 503 carries the CORS headers a browser needs to read it.
    middleware.append(Middleware(Availability, state=services.database))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            static_files(),
            *([Route("/", web_client)] if settings.web_client else []),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.services = services
    return app


def create_served_app() -> Starlette:
    """The app as `twofactor serve` runs it (migrations already applied by the command)."""
    return create_app(migrate=False, served=True)
